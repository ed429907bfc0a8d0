"""Turn raw pairs into registered `RGBTFrame`s with the calibration (or without one).

The application side of `tpmri_calibration`: it loads the calibration file (its errors become
`UserError`s, printed as one line) and builds a `Registration` for the sizes the cameras actually
deliver, rebuilding it if they change. Without a calibration the thermal image is stretched onto the
RGB grid (the identity when the sizes are equal).
"""

from __future__ import annotations

from pathlib import Path

from tpmri_calibration.calibration_file import Calibration, load_calibration
from tpmri_calibration.errors import CalibrationError
from tpmri_calibration.registration import Registration
from tpmri_core.errors import UserError
from tpmri_core.frames import RGBTFrame
from tpmri_live.capture.timed_frames import FramePair, RegisteredPair


def load_app_calibration(path: str | Path | None) -> Calibration | None:
    """The calibration in `path`, None for no path; a bad file raises UserError naming file and field."""
    if path is None:
        return None
    try:
        return load_calibration(path)
    except CalibrationError as error:
        raise UserError(str(error)) from None


class FrameRegistrar:
    """Registers pairs onto the RGB grid; one per feed (it caches the registration for the frame sizes).

    Args:
        calibration: the TIR -> RGB calibration, or None to stretch thermal onto the RGB grid.
    """

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.calibration = calibration
        self._registration: Registration | None = None

    @property
    def registration(self) -> Registration | None:
        """The registration used for the latest pair (None before the first): maps boxes both ways."""
        return self._registration

    def registration_for(self, tir_size_wh: tuple[int, int], rgb_size_wh: tuple[int, int]) -> Registration:
        current = self._registration
        if current is None or current.tir_size_wh != tir_size_wh or current.rgb_size_wh != rgb_size_wh:
            if self.calibration is None:
                current = Registration.stretch(tir_size_wh, rgb_size_wh)
            else:
                current = Registration.from_calibration(self.calibration, tir_size_wh, rgb_size_wh)
            self._registration = current
        return current

    def register(self, pair: FramePair) -> RegisteredPair:
        registration = self.registration_for(pair.tir.size_wh, pair.rgb.size_wh)
        frame = RGBTFrame(
            rgb=pair.rgb.image,
            tir=registration.warp_tir(pair.tir.image),
            t_rgb=pair.rgb.t_s,
            t_tir=pair.tir.t_s,
            tir_raw=pair.tir.raw,
            index=pair.index,
        )
        return RegisteredPair(frame, pair)
