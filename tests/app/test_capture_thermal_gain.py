"""Y16 frames through the automatic gain, and decoding of OpenCV's thermal buffers."""

from __future__ import annotations

import numpy as np
import pytest

from tpmri_live.capture.frame_conversion import decode_y16, rgb_view, thermal_images
from tpmri_live.capture.thermal_gain import AutoGain


def thermal_scene(seed: int = 0) -> np.ndarray:
    """A 16-bit scene in centi-kelvin: 20 C background with noise, a 36 C person, one dead-hot pixel."""
    rng = np.random.default_rng(seed)
    raw = (29315 + rng.normal(0, 5, (120, 160))).astype(np.uint16)
    raw[40:90, 70:90] = 30915
    raw[0, 0] = 65535
    return raw


def test_percentile_stretch_uses_the_full_8bit_range_and_ignores_a_hot_pixel() -> None:
    view = AutoGain(low_percentile=1, high_percentile=99, smoothing=0)(thermal_scene())
    assert view.dtype == np.uint8 and view.shape == (120, 160)
    assert view[60, 80] == 255 and np.median(view[:30, :60]) < 40
    assert np.median(view[:30, :60]) > 0  # background keeps its noise texture: the hot pixel did not squash it


def test_warm_object_stays_brighter_than_background_over_frames() -> None:
    gain = AutoGain()
    for seed in range(5):
        view = gain(thermal_scene(seed))
        assert view[50:80, 72:88].mean() > view[:30, :60].mean() + 150


def test_smoothing_limits_follow_a_scene_change_gradually() -> None:
    gain = AutoGain(smoothing=0.8)
    gain(thermal_scene())
    low_before, high_before = gain.limits
    hotter = thermal_scene() + np.uint16(1000)
    gain(hotter)
    low_after, _ = gain.limits
    assert low_before < low_after < low_before + 1000 * 0.3
    gain.reset()
    assert gain.limits is None


def test_uniform_scene_is_not_amplified_into_noise() -> None:
    flat = (30000 + np.random.default_rng(1).integers(0, 3, (50, 50))).astype(np.uint16)
    view = AutoGain(min_span=64, smoothing=0)(flat)
    assert int(view.max()) - int(view.min()) <= 3 * 255 // 64 + 1


def test_clahe_option_raises_local_contrast() -> None:
    raw = thermal_scene()
    raw[10:30, 10:30] += 20  # a faint warm patch on the background
    plain = AutoGain(smoothing=0)(raw)
    equalised = AutoGain(smoothing=0, clahe=True)(raw)
    patch_contrast = lambda view: float(view[12:28, 12:28].mean()) - float(view[35:45, 10:30].mean())  # noqa: E731
    assert patch_contrast(equalised) > patch_contrast(plain)


@pytest.mark.parametrize(
    "frame",
    [
        np.arange(12, dtype=np.uint16).reshape(3, 4) + 40000,
        (np.arange(12, dtype=np.uint16).reshape(3, 4) + 40000).astype("<u2").view(np.uint8).reshape(1, 24),
        (np.arange(12, dtype=np.uint16).reshape(3, 4) + 40000).astype("<u2").view(np.uint8).reshape(3, 4, 2),
        (np.arange(12, dtype=np.uint16).reshape(3, 4) + 40000).astype("<u2").view(np.uint8).reshape(3, 8),
    ],
    ids=["uint16", "flat-bytes", "two-channel-bytes", "double-width-bytes"],
)
def test_y16_buffer_layouts_decode_to_the_same_frame(frame: np.ndarray) -> None:
    decoded = decode_y16(frame, (4, 3))
    np.testing.assert_array_equal(decoded, np.arange(12, dtype=np.uint16).reshape(3, 4) + 40000)


def test_8bit_frames_are_not_taken_for_y16() -> None:
    assert decode_y16(np.zeros((3, 4, 3), np.uint8), (4, 3)) is None
    view, raw = thermal_images(np.full((3, 4, 3), 77, np.uint8), AutoGain())
    assert raw is None and view.shape == (3, 4) and view[0, 0] == 77


def test_rgb_view_swaps_bgr_and_expands_grey() -> None:
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 200
    assert rgb_view(bgr)[0, 0, 2] == 200
    assert rgb_view(np.full((2, 2), 9, np.uint8)).shape == (2, 2, 3)


def test_bad_gain_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        AutoGain(low_percentile=50, high_percentile=10)
