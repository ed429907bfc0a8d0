"""The worker's small parts: rate monitor, alpha/score ring buffer, thermal palettes, annotated frames."""

from __future__ import annotations

import numpy as np
import pytest

from live_fakes import make_pair
from tpmri_core.frames import RGBTFrame
from tpmri_live.pipeline.annotate import BOX_COLOUR_RGB, annotate_pair
from tpmri_live.pipeline.palettes import PALETTE_NAMES, blend_rgb_tir, colorize_tir, palette_lut
from tpmri_live.pipeline.rate_monitor import RateMonitor
from tpmri_live.pipeline.track_history import TrackHistory


def test_rate_monitor_reads_a_steady_rate_and_drops_to_zero_when_events_stop():
    monitor = RateMonitor(window_s=1.0)
    assert monitor.rate_hz() == 0.0
    for i in range(60):
        monitor.tick(i / 25.0)
    assert monitor.rate_hz() == pytest.approx(25.0)
    assert monitor.rate_hz(now_s=59 / 25.0 + 0.5) == pytest.approx(25.0)
    assert monitor.rate_hz(now_s=59 / 25.0 + 5.0) == 0.0
    monitor.reset()
    assert monitor.rate_hz() == 0.0


def test_track_history_is_a_ring_buffer_returning_oldest_first_copies():
    history = TrackHistory(capacity=4)
    for i in range(6):
        history.append(t_s=float(i), alpha_mean=i / 10, score=1 - i / 10, alpha_per_layer=(i, i + 0.5))
    snapshot = history.snapshot()
    np.testing.assert_array_equal(snapshot.t_s, [2, 3, 4, 5])
    np.testing.assert_allclose(snapshot.alpha_mean, [0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(snapshot.alpha_per_layer[:, 1], [2.5, 3.5, 4.5, 5.5])
    snapshot.alpha_mean[:] = -1  # the receiver owns its arrays
    assert history.snapshot().alpha_mean[0] == pytest.approx(0.2)
    np.testing.assert_array_equal(history.snapshot(last_s=1.5).t_s, [4, 5])
    history.clear()
    assert len(history.snapshot()) == 0


def test_track_history_keeps_lost_steps_as_nan():
    history = TrackHistory()
    history.append(0.0, 0.6, 0.9, (0.6, 0.6))
    history.append(1.0, float("nan"), 0.0, ())
    snapshot = history.snapshot()
    assert np.isnan(snapshot.alpha_mean[1]) and np.isnan(snapshot.alpha_per_layer[1]).all()


@pytest.mark.parametrize("name", PALETTE_NAMES)
def test_palettes_run_dark_to_bright(name):
    lut = palette_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8 and not lut.flags.writeable
    luminance = lut.astype(float) @ [0.299, 0.587, 0.114]
    assert luminance[0] < 20 and luminance[-1] > 200
    assert np.all(np.diff(luminance[::16]) > 0)  # hotter always reads brighter
    tir = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(colorize_tir(tir, name).reshape(256, 3), lut)


def test_unknown_palette_and_bad_thermal_images_are_refused():
    with pytest.raises(ValueError, match="palette"):
        palette_lut("rainbow")
    with pytest.raises(ValueError, match="uint8"):
        colorize_tir(np.zeros((4, 4), np.uint16), "gray")


def test_blend_mixes_by_opacity():
    rgb = np.full((2, 2, 3), 200, np.uint8)
    tir = np.zeros((2, 2, 3), np.uint8)
    assert blend_rgb_tir(rgb, tir, 0.0)[0, 0, 0] == 200
    assert blend_rgb_tir(rgb, tir, 1.0)[0, 0, 0] == 0
    assert blend_rgb_tir(rgb, tir, 0.25)[0, 0, 0] == 150


def test_annotated_pair_draws_the_box_on_both_halves_without_touching_the_frame():
    pair = make_pair(0)
    frame = RGBTFrame(rgb=pair.rgb.image, tir=pair.tir.image, index=0)
    original = frame.rgb.copy()
    picture = annotate_pair(frame, (60.0, 70.0, 30.0, 30.0), score=0.9, alpha_mean=0.7)
    assert picture.shape == (120, 320, 3)
    np.testing.assert_array_equal(frame.rgb, original)
    for offset in (0, 160):
        assert tuple(picture[85, 60 + offset]) == BOX_COLOUR_RGB  # left edge of the box, each half
