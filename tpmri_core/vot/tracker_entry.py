"""The trackers.ini entry that makes the VOT toolkit run our server.

`traxpython` runs `PYTHON -m MODULE`; naming the interpreter that writes the entry (sys.executable,
not resolved through links, so a virtual environment stays a virtual environment) makes the toolkit
run the server with the packages installed here, whichever `python` is first on its PATH.
"""

from __future__ import annotations

import re
import shlex
import sys

from tpmri_core.errors import UserError
from tpmri_core.vot.options import TrackerOptions

DEFAULT_TRACKER_ID = "TPMRI"
SERVER_MODULE = "tpmri_core.commands.vot_server"
# The toolkit waits this long for each reply; the first one includes loading the model.
REPLY_TIMEOUT_S = 120
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_\-]+$")


def tracker_entry(options: TrackerOptions, identifier: str = DEFAULT_TRACKER_ID, python: str | None = None) -> str:
    """One `[identifier]` section of trackers.ini.

    Args:
        options: the tracker options, passed to the server as env_ variables.
        identifier: the tracker's name in the toolkit (letters, digits, '_' and '-').
        python: the interpreter to run; default: the one running now.
    """
    if not _IDENTIFIER.match(identifier):
        raise UserError(f"tracker identifier {identifier!r} may hold only letters, digits, '_' and '-'")
    interpreter = python or sys.executable
    if not interpreter:
        raise UserError("cannot tell which Python interpreter is running; pass one explicitly")
    lines = [
        f"[{identifier}]",
        f"label = {identifier}",
        "protocol = traxpython",
        f"command = {SERVER_MODULE}",
        # The toolkit splits 'PYTHON -m MODULE' with shlex: quote a path with spaces.
        f"python = {shlex.quote(interpreter)}",
        f"timeout = {REPLY_TIMEOUT_S}",
    ]
    for name, value in sorted(options.environment().items()):
        lines.append(f"env_{name} = {value}")
    # The toolkit reads the file with configparser's interpolation, where '%' starts a reference.
    return "\n".join(line.replace("%", "%%") for line in lines) + "\n"
