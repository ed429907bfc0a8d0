"""The alpha-beta filter on the box's centre: it removes scatter and follows steady motion without lag."""

from __future__ import annotations

import numpy as np
import pytest

from tpmri_core.tracking.center_filter import NO_SMOOTHING, CenterFilter, CenterSmoothing


def _run(smoothing: CenterSmoothing, measurements: np.ndarray) -> np.ndarray:
    center_filter = CenterFilter(smoothing)
    center_filter.reset(measurements[0])
    return np.array([center_filter.update(m) for m in measurements[1:]])


def test_no_smoothing_returns_every_measurement() -> None:
    measurements = np.random.default_rng(0).normal(size=(20, 2)) * 10
    np.testing.assert_array_equal(_run(NO_SMOOTHING, measurements), measurements[1:])


def test_scatter_around_a_still_target_shrinks() -> None:
    noise = np.random.default_rng(1).normal(scale=3.0, size=(400, 2))
    smoothed = _run(CenterSmoothing(0.5, 0.25), np.array([50.0, 40.0]) + noise)
    raw_error = np.sqrt(np.mean(noise[100:] ** 2))
    smoothed_error = np.sqrt(np.mean((smoothed[99:] - [50.0, 40.0]) ** 2))
    assert smoothed_error < 0.85 * raw_error


def test_steady_motion_is_followed_without_lag_once_the_velocity_is_learnt() -> None:
    track = np.stack([np.arange(60) * 2.5, 100.0 - np.arange(60) * 1.0], axis=1)
    smoothed = _run(CenterSmoothing(0.5, 0.25), track)
    np.testing.assert_allclose(smoothed[-10:], track[-10:], atol=0.05)
    # Without a velocity the same filter trails a moving target for good.
    trailing = _run(CenterSmoothing(0.5, 0.0), track)
    assert np.abs(trailing[-1] - track[-1]).max() > 1.0


def test_reset_forgets_the_motion() -> None:
    center_filter = CenterFilter(CenterSmoothing(0.5, 0.25))
    center_filter.reset(np.array([0.0, 0.0]))
    for step in range(1, 30):
        center_filter.update(np.array([3.0 * step, 0.0]))
    center_filter.reset(np.array([10.0, 10.0]))
    np.testing.assert_allclose(center_filter.update(np.array([10.0, 10.0])), [10.0, 10.0])


@pytest.mark.parametrize("position_gain, velocity_gain", [(0.0, 0.0), (1.5, 0.0), (0.5, 1.0), (0.5, -0.1), (float("nan"), 0.0)])
def test_gains_outside_their_range_are_refused(position_gain: float, velocity_gain: float) -> None:
    with pytest.raises(ValueError, match="gain"):
        CenterSmoothing(position_gain, velocity_gain)
