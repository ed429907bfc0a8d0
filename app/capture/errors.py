"""How sources fail: a camera that cannot be opened (the user's to fix) versus one that stopped mid-run."""

from __future__ import annotations

from tpmri_core.errors import UserError


class SourceOpenError(UserError):
    """A source could not be opened; the message names it (device, path, backend) and says what to check."""


class SourceLost(Exception):
    """A running source stopped delivering frames (unplugged, driver timeout); it may come back.

    Capture threads catch this, report the source as lost and reopen it with backoff.
    """
