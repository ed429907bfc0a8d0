"""The TraX server that runs TPMRI inside the VOT toolkit.

The toolkit starts one server per sequence and experiment, sends `initialize` with the two image
paths (`color`, `ir`) and a rectangle, then one `frame` per image pair; a supervised experiment sends
`initialize` again after each failure, which restarts the tracker (fresh template and TMR state).
`VotSession` holds that logic without TraX, so it can be tested without the toolkit; `serve` only
translates between TraX messages and the session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpmri_core.data.sequences import read_frame_pair
from tpmri_core.errors import UserError
from tpmri_core.tracking.tracker import Tracker

CHANNELS: tuple[str, str] = ("color", "ir")
TRACKER_NAME = "TPMRI"
INSTALL_HINT = 'the VOT server needs vot-trax: pip install -e ".[vot]"'


@dataclass(frozen=True)
class VotAnswer:
    """The server's reply for one frame: box in pixels (x, y, w, h) and the tracker's confidence in [0, 1]."""

    box_xywh: tuple[float, float, float, float]
    confidence: float


class VotSession:
    """One tracker fed the way the toolkit feeds it: image paths in, box and confidence out.

    Args:
        tracker: the tracker to run; it is re-initialised on every `initialize`.
    """

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.frame_index = 0
        self.initialized = False

    def initialize(self, rgb_path: Path | str, tir_path: Path | str, box_xywh: tuple[float, ...]) -> VotAnswer:
        """Start (or restart) on this frame; the reply is the given box with confidence 1.

        Raises ValueError for a box that is not finite, has no area or lies outside the image.
        """
        self.frame_index = 0
        frame = read_frame_pair(Path(rgb_path), Path(tir_path), self.frame_index)
        self.tracker.initialize(frame, box_xywh)
        self.initialized = True
        x, y, w, h = (float(v) for v in self.tracker.box_xywh)  # the box as the tracker clamped it to the image
        return VotAnswer((x, y, w, h), 1.0)

    def track(self, rgb_path: Path | str, tir_path: Path | str) -> VotAnswer:
        """Locate the target in the next frame; confidence is the windowed peak score (0 on a lost step)."""
        if not self.initialized:
            raise RuntimeError("the toolkit sent a frame before initialize")
        self.frame_index += 1
        result = self.tracker.track(read_frame_pair(Path(rgb_path), Path(tir_path), self.frame_index))
        confidence = result.score if math.isfinite(result.score) else 0.0
        return VotAnswer(result.box_xywh, min(max(confidence, 0.0), 1.0))


def import_trax() -> Any:
    """The TraX bindings, or a UserError saying how to install them."""
    try:
        import trax
        import trax.server  # noqa: F401  (the Server class lives in a submodule)
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return trax


def _channel_paths(trax: Any, images: dict[str, Any]) -> tuple[str, str]:
    missing = [channel for channel in CHANNELS if channel not in images]
    if missing:
        raise UserError(f"the toolkit sent no {' or '.join(missing)} image: the sequence needs channels.color and channels.ir")
    for channel in CHANNELS:
        if images[channel].type() != trax.Image.PATH:
            raise UserError(f"the toolkit sent the {channel} image as {images[channel].type()}, not as a file path")
    return images["color"].path(), images["ir"].path()


def serve(session: VotSession, description: str = "") -> None:
    """Answer TraX requests on stdin/stdout (or the toolkit's socket) until the client quits or goes away."""
    trax = import_trax()
    from trax.server import Server

    server = Server(
        [trax.Region.RECTANGLE],
        [trax.Image.PATH],
        list(CHANNELS),
        tracker_name=TRACKER_NAME,
        tracker_description=description,
        tracker_family="TPMRI",
    )
    try:
        while True:
            request = server.wait()
            if request.type == trax.TraxStatus.QUIT:
                break
            rgb_path, tir_path = _channel_paths(trax, request.image)
            if request.type == trax.TraxStatus.INITIALIZE:
                region = request.objects[0][0]
                try:
                    answer = session.initialize(rgb_path, tir_path, tuple(region.bounds()))
                except ValueError as error:
                    raise UserError(f"initialize on {rgb_path}: {error}") from None
            else:
                answer = session.track(rgb_path, tir_path)
            reply = trax.Rectangle.create(*answer.box_xywh)
            server.status([(reply, {"confidence": f"{answer.confidence:.4f}"})])
    except trax.TraxException as error:
        # The client closed the connection (the toolkit stopped or was killed): nothing left to answer.
        raise UserError(f"TraX connection lost: {error}") from None
    finally:
        _quit_quietly(server, trax)


def _quit_quietly(server: Any, trax: Any) -> None:
    if getattr(server, "_handle", None) is None:
        return
    try:
        server.quit()
    except trax.TraxException:
        pass
