"""Errors a user can cause; command lines print them as one line and exit non-zero."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C


class UserError(Exception):
    """A mistake in what the user gave us (a path, a flag, a file's content), not a bug.

    The message names the problem (file, field, value) in one line.
    """


def run_command(prog: str, command: Callable[[], int | None]) -> int:
    """Run a command line's body and return its exit status (None counts as 0).

    Every command line ends the same way: a UserError is one line, `PROG: error: MESSAGE`, on stderr and
    exit 2; Ctrl-C is exit 130 without a traceback. Anything else is a bug and keeps its traceback.
    """
    try:
        return int(command() or 0)
    except UserError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
