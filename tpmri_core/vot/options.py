"""The tracker options of the VOT server, from its command line or, as the toolkit starts it, from the environment.

A `traxpython` entry in trackers.ini can only name a module to run, so the entry passes the options
as environment variables (`env_TPMRI_DEVICE = cpu`); a flag on the command line wins over them.
This is the one place that maps between flags, environment and the `Tracker` (add new shared
tracker flags here).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tpmri_core.commands.tracker_options import BACKEND_DEFAULT, MIRROR_AVERAGE_DEFAULT, add_backend_flag, add_mirror_average_flag
from tpmri_core.errors import UserError
from tpmri_core.tracking.tracker import Tracker, resolve_device
from tpmri_core.weights import ResolvedModel, resolve_model

ENV_WEIGHTS = "TPMRI_WEIGHTS"
ENV_VARIANT = "TPMRI_VARIANT"
ENV_DEVICE = "TPMRI_DEVICE"
ENV_MIRROR_AVERAGE = "TPMRI_MIRROR_AVERAGE"
ENV_BACKEND = "TPMRI_BACKEND"
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class TrackerOptions:
    """What decides the server's tracker.

    Args:
        weights: TPMRI weights file; None: the bundled default weights.
        variant: model variant; None: the one the weights hold.
        device: 'auto', 'cpu' or 'cuda'.
        mirror_average: average over the mirrored crops (the other commands' default unless asked).
        backend: what runs the network: 'auto', 'torch' or 'onnxruntime'.
    """

    weights: Path | None = None
    variant: str | None = None
    device: str = "auto"
    mirror_average: bool = MIRROR_AVERAGE_DEFAULT
    backend: str = BACKEND_DEFAULT

    def environment(self) -> dict[str, str]:
        """The environment variables that give a server these options (weights as an absolute path:
        the toolkit starts trackers in a temporary folder)."""
        env = {ENV_DEVICE: self.device, ENV_MIRROR_AVERAGE: "1" if self.mirror_average else "0", ENV_BACKEND: self.backend}
        if self.weights is not None:
            env[ENV_WEIGHTS] = str(Path(self.weights).absolute())
        if self.variant is not None:
            env[ENV_VARIANT] = self.variant
        return env


def add_tracker_options(parser: argparse.ArgumentParser) -> None:
    """--weights, --variant, --device and the shared tracker flags; unset ones fall back on the environment."""
    group = parser.add_argument_group("tracker (each also read from the environment variable named)")
    group.add_argument("--weights", type=Path, help=f"TPMRI weights file (.safetensors; ${ENV_WEIGHTS})")
    group.add_argument("--variant", help=f"model variant (default: the one the weights hold; ${ENV_VARIANT})")
    group.add_argument("--device", help=f"auto, cpu or cuda (default: auto; ${ENV_DEVICE})")
    add_mirror_average_flag(group)
    add_backend_flag(group)
    # None marks "not given" so that the environment can fill it in.
    parser.set_defaults(mirror_average=None, backend=None)


def tracker_options(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> TrackerOptions:
    """Flags first, then the environment, then the defaults every command shares."""
    environ = os.environ if environ is None else environ
    weights = args.weights if args.weights is not None else _non_empty(environ.get(ENV_WEIGHTS))
    mirror_average = args.mirror_average
    if mirror_average is None:
        mirror_average = _env_flag(environ, ENV_MIRROR_AVERAGE, MIRROR_AVERAGE_DEFAULT)
    return TrackerOptions(
        weights=Path(weights) if weights is not None else None,
        variant=args.variant or _non_empty(environ.get(ENV_VARIANT)),
        device=args.device or _non_empty(environ.get(ENV_DEVICE)) or "auto",
        mirror_average=mirror_average,
        backend=args.backend or _non_empty(environ.get(ENV_BACKEND)) or BACKEND_DEFAULT,
    )


def _non_empty(value: str | None) -> str | None:
    return value if value else None


def _env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    text = environ.get(name, "").strip().lower()
    if not text:
        return default
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise UserError(f"environment variable {name}={environ[name]!r} must be one of {', '.join(_TRUE_WORDS + _FALSE_WORDS)}")


def build_tracker(options: TrackerOptions) -> tuple[Tracker, ResolvedModel]:
    """The `Tracker` the options describe; an unusable setup is a UserError (never an untrained model:
    numbers from one would be meaningless in an evaluation)."""
    try:
        resolve_device(options.device)  # before the model, so a bad device is the only message
    except ValueError as error:
        raise UserError(str(error)) from None
    if options.weights is not None and not options.weights.is_file():
        raise UserError(f"weights file {options.weights} not found")
    resolved = resolve_model(options.variant, options.weights, allow_untrained=False)
    try:
        tracker = Tracker(resolved.model, device=options.device, mirror_average=options.mirror_average, backend=options.backend)
    except ValueError as error:
        raise UserError(str(error)) from None
    return tracker, resolved
