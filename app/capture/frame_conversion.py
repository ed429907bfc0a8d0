"""Convert what OpenCV hands back (BGR, grey, Y16 byte buffers, 16-bit images) into our frame types."""

from __future__ import annotations

import cv2
import numpy as np

from tpmri_live.capture.thermal_gain import AutoGain


def thermal_images(frame: np.ndarray, gain: AutoGain, size_wh: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(8-bit view, raw uint16 or None) for a thermal frame: 16-bit goes through the gain, 8-bit is grey."""
    raw = decode_y16(frame, size_wh or (frame.shape[1], frame.shape[0]))
    if raw is not None:
        return gain(raw), raw
    if frame.dtype != np.uint8:
        return gain(gray_view(frame) if frame.ndim == 3 else frame), None
    return gray_view(frame), None


def decode_y16(frame: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray | None:
    """The (H, W) uint16 frame from what OpenCV returned for a Y16 stream, or None if it is not 16-bit.

    Depending on backend and version, a Y16 frame comes back as (H, W) uint16, as (H, W, 2) or (H, 2W)
    uint8, or as a flat (1, 2HW) uint8 buffer (little-endian).
    """
    width, height = size_wh
    if frame.dtype == np.uint16 and frame.ndim == 2:
        return frame
    if frame.dtype == np.uint8 and frame.size == 2 * width * height and (frame.ndim != 3 or frame.shape[2] == 2):
        return np.ascontiguousarray(frame).view("<u2").reshape(height, width).astype(np.uint16, copy=False)
    return None


def gray_view(frame: np.ndarray) -> np.ndarray:
    """(H, W) uint8 grey image from an 8-bit grey, BGR or BGRA thermal frame."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def rgb_view(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB-order image from an OpenCV BGR, BGRA or grey frame (16-bit scaled down)."""
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
