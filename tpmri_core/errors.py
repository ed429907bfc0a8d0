"""Errors a user can cause; command lines print them as one line and exit non-zero."""


class UserError(Exception):
    """A mistake in what the user gave us (a path, a flag, a file's content), not a bug.

    The message names the problem (file, field, value) in one line.
    """
