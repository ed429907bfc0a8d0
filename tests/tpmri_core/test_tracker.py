"""The tracker: init-box validation, geometry of the map back, clamping, lost steps, state handling."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from mirror_maps import with_mirror
from tpmri_core.benchmarking import moving_target_frames
from tpmri_core.frames import RGBTFrame
from tpmri_core.models.head import HeadMaps
from tpmri_core.models.tpi import ALPHA_START, TemporalState
from tpmri_core.models.tpmri import TPMRIOutput
from tpmri_core.tracking.result import TrackResult
from tpmri_core.tracking.box_convention import DEFAULT_BOX_CALIBRATION, IDENTITY_CONVENTION, BoxCalibration
from tpmri_core.tracking.box_update import NO_LIMITS
from tpmri_core.tracking.center_filter import DEFAULT_CENTER_SMOOTHING, NO_SMOOTHING
from tpmri_core.tracking.template_refiner import DEFAULT_TEMPLATE_REFINEMENT, TemplateRefinement
from tpmri_core.tracking.tracker import Tracker

WIDTH, HEIGHT = 640, 480
MAP_SIDE = 12  # tpmri-tiny: 192 px search / 16


@pytest.fixture(scope="module")
def frames() -> list[RGBTFrame]:
    return moving_target_frames(8, WIDTH, HEIGHT)


@pytest.fixture
def tracker(make_tiny_model) -> Tracker:
    # No first-frame calibration: the untrained network's convention would move every scripted box; no
    # centre smoothing or template refinement: these tests check the geometry of one step.
    return Tracker(
        make_tiny_model(), device="cpu", box_calibration=None, center_smoothing=NO_SMOOTHING, template_refinement=None
    )


def _inside(box_xywh: tuple[float, ...], width: int = WIDTH, height: int = HEIGHT) -> bool:
    x, y, w, h = box_xywh
    return x >= 0 and y >= 0 and x + w <= width + 1e-6 and y + h <= height + 1e-6 and w > 0 and h > 0


class ScriptedForward:
    """Stands in for the network: a score peak at a chosen cell with a chosen offset and size."""

    def __init__(self, row: int, col: int, offset_xy=(0.0, 0.0), size_wh=(0.25, 0.25), nan_in: str = "") -> None:
        self.row, self.col, self.offset_xy, self.size_wh, self.nan_in = row, col, offset_xy, size_wh, nan_in
        self.calls = 0

    def __call__(self, template, search_rgb, search_tir, state: TemporalState) -> TPMRIOutput:
        self.calls += 1
        score = torch.full((1, 1, MAP_SIDE, MAP_SIDE), -20.0)
        score[0, 0, self.row, self.col] = 10.0
        size = torch.zeros(1, 2, MAP_SIDE, MAP_SIDE)
        size[0, :, self.row, self.col] = torch.tensor(self.size_wh)
        offset = torch.zeros(1, 2, MAP_SIDE, MAP_SIDE)
        offset[0, :, self.row, self.col] = torch.tensor(self.offset_xy)
        alpha = torch.full_like(state.alpha, 0.25 + 0.1 * self.calls)
        if self.nan_in == "score":
            score[0, 0, self.row, self.col] = math.nan
        if self.nan_in == "alpha":
            alpha[0, -1] = math.nan
        next_state = TemporalState(alpha, torch.full_like(state.response_gap, float(self.calls)))
        return TPMRIOutput(HeadMaps(score, size, offset), alpha=alpha, state=next_state)


# ------------------------------------------------------------------------------ initialisation


@pytest.mark.parametrize(
    "bad_box",
    [
        (float("nan"), 10, 20, 20),
        (10, 10, float("inf"), 20),
        (10, 10, 0, 20),
        (10, 10, 20, -5),
        (10, 10, 20),
        (WIDTH, 10, 20, 20),  # starts right of the image
        (10, HEIGHT + 5, 20, 20),  # below it
        (-50, 10, 50, 20),  # ends exactly at the left edge
    ],
)
def test_invalid_init_boxes_raise_a_clear_value_error(tracker: Tracker, frames, bad_box) -> None:
    with pytest.raises(ValueError, match="initial box"):
        tracker.initialize(frames[0], bad_box)


def test_track_before_initialize_is_a_runtime_error(tracker: Tracker, frames) -> None:
    with pytest.raises(RuntimeError, match="initialize"):
        tracker.track(frames[0])


def test_an_init_box_partly_outside_the_image_is_clamped_inside(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (-10, -20, 60, 50))
    np.testing.assert_allclose(tracker.box_xywh, [0, 0, 60, 50])


def test_bad_device_and_precision_are_value_errors(make_tiny_model) -> None:
    model = make_tiny_model()
    with pytest.raises(ValueError, match="device"):
        Tracker(model, device="tpu")
    with pytest.raises(ValueError, match="precision"):
        Tracker(model, device="cpu", precision="fp8")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            Tracker(model, device="cuda")


# ------------------------------------------------------------------------------ real model steps


def test_tracking_untrained_gives_valid_results_and_moving_alpha(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (192, 192, 40, 50))
    results = [tracker.track(frame) for frame in frames[1:]]
    for result in results:
        assert isinstance(result, TrackResult) and not result.lost
        assert _inside(result.box_xywh)
        assert 0.0 <= result.score <= 1.0
        assert len(result.alpha_per_layer) == 6 and 0 < result.alpha_mean < 1
        assert result.timings.total_ms > 0
    assert results[0].alpha_per_layer != results[1].alpha_per_layer


def test_initialize_resets_the_state_and_reproduces_a_run(tracker: Tracker, frames) -> None:
    box = (192, 192, 40, 50)
    tracker.initialize(frames[0], box)
    first_run = [tracker.track(frame) for frame in frames[1:4]]
    assert not torch.all(tracker.state.alpha == ALPHA_START)
    tracker.initialize(frames[0], box)
    assert torch.all(tracker.state.alpha == ALPHA_START) and torch.all(tracker.state.response_gap == 0)
    second_run = [tracker.track(frame) for frame in frames[1:4]]
    for a, b in zip(first_run, second_run):
        assert a.box_xywh == pytest.approx(b.box_xywh, abs=1e-4)
        assert a.alpha_per_layer == pytest.approx(b.alpha_per_layer, abs=1e-6)


def test_reset_clears_every_layer_and_keeps_the_target(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (192, 192, 40, 50))
    for frame in frames[1:3]:
        tracker.track(frame)
    box_before = tracker.box_xywh
    tracker.reset()
    assert tracker.state.alpha.shape == (1, 6)
    assert torch.all(tracker.state.alpha == ALPHA_START) and torch.all(tracker.state.response_gap == 0)
    np.testing.assert_array_equal(tracker.box_xywh, box_before)


def test_track_sequence_yields_one_result_per_following_frame(tracker: Tracker, frames) -> None:
    results = list(tracker.track_sequence(iter(frames), (192, 192, 40, 50)))
    assert len(results) == len(frames) - 1


def test_a_tiny_box_is_handled(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (100.2, 100.7, 0.6, 1.0))
    assert tracker.box_xywh[2] >= 2 and tracker.box_xywh[3] >= 2
    for frame in frames[1:4]:
        result = tracker.track(frame)
        assert not result.lost and _inside(result.box_xywh)
        assert result.box_xywh[2] >= 2 and result.box_xywh[3] >= 2


def test_a_frame_smaller_than_the_crop_works(tracker: Tracker) -> None:
    small = moving_target_frames(3, 64, 48)
    tracker.initialize(small[0], (20, 10, 30, 30))
    for frame in small[1:]:
        assert _inside(tracker.track(frame).box_xywh, 64, 48)


# --------------------------------------------------------------------------- scripted geometry


def test_the_first_frame_teaches_the_tracker_how_the_given_box_frames_the_target(make_tiny_model, frames) -> None:
    # A network that draws every box 20 % narrower than the given one and 1/24 of the crop to its right.
    scripted = ScriptedForward(row=6, col=6, offset_xy=(0.5, 0.0), size_wh=(0.2, 0.25))
    calibrated = Tracker(
        make_tiny_model(), device="cpu", box_rules=NO_LIMITS, box_calibration=BoxCalibration(dead_zone=0.0),
        center_smoothing=NO_SMOOTHING,
        template_refinement=None,
    )
    calibrated.forward = scripted
    calibrated.initialize(frames[0], (300, 200, 40, 40))  # search side 160 px around (320, 220)
    assert scripted.calls == len(calibrated.box_calibration.views)
    assert calibrated.convention.width_ratio == pytest.approx(1.25)
    assert calibrated.convention.height_ratio == pytest.approx(1.0)
    assert calibrated.convention.offset_x == pytest.approx(-(160 * 0.5 / 12) / math.sqrt(32 * 40))
    assert calibrated.convention.offset_y == pytest.approx(0.0)
    assert torch.equal(calibrated.state.alpha, calibrated.model.initial_state(1).alpha)  # views leave no history
    # The same network on the next frame: the given box's framing comes back.
    assert calibrated.track(frames[1]).box_xywh == pytest.approx((300, 200, 40, 40))

    assert Tracker(make_tiny_model(), device="cpu").box_calibration == DEFAULT_BOX_CALIBRATION
    scripted.calls = 0
    calibrated.initialize(frames[0], (300, 200, 40, 40), framed=False)  # a click's square: nothing to learn
    assert scripted.calls == 0 and calibrated.convention == IDENTITY_CONVENTION

    plain = Tracker(
        make_tiny_model(), device="cpu", box_rules=NO_LIMITS, box_calibration=None, center_smoothing=NO_SMOOTHING, template_refinement=None
    )
    plain.forward = ScriptedForward(row=6, col=6, offset_xy=(0.5, 0.0), size_wh=(0.2, 0.25))
    plain.initialize(frames[0], (300, 200, 40, 40))
    assert plain.convention == IDENTITY_CONVENTION
    assert plain.track(frames[1]).box_xywh == pytest.approx((320 + 160 * 0.5 / 12 - 16, 200, 32, 40))


def test_the_default_tracker_takes_half_of_a_sudden_jump_and_learns_a_steady_motion(make_tiny_model, frames) -> None:
    tracker = Tracker(make_tiny_model(), device="cpu", box_rules=NO_LIMITS, box_calibration=None, template_refinement=None)
    assert tracker.center_filter.smoothing == DEFAULT_CENTER_SMOOTHING
    tracker.initialize(frames[0], (300, 200, 40, 40))  # search side 160 px around (320, 220): a cell is 40/3 px
    tracker.forward = ScriptedForward(row=6, col=9)  # the network sees the target 3 cells (40 px) to the right
    first = tracker.track(frames[1])
    assert first.box_xywh[0] == pytest.approx(300 + 0.5 * 40)  # position gain 0.5
    # The network keeps answering 40 px right of wherever the crop is: a target moving 40 px a frame.
    xs = [tracker.track(frame).box_xywh[0] for frame in frames[2:8]]
    steps = np.diff([first.box_xywh[0], *xs])
    assert steps[-1] == pytest.approx(40, abs=6) and steps[0] < steps[-1]  # the velocity catches up


def test_the_default_tracker_pins_a_scattered_centre_to_the_first_frames_pixels(make_tiny_model, frames) -> None:
    refined = Tracker(make_tiny_model(), device="cpu", box_rules=NO_LIMITS, box_calibration=None)
    assert refined.refiner is not None and refined.refiner.refinement == DEFAULT_TEMPLATE_REFINEMENT
    unrefined = Tracker(make_tiny_model(), device="cpu", box_rules=NO_LIMITS, box_calibration=None, template_refinement=None)
    for tracker in (refined, unrefined):
        tracker.initialize(frames[0], (100, 100, 40, 40))  # a patch of the still, textured background
        tracker.forward = ScriptedForward(row=6, col=6, offset_xy=(0.3, 0.0))  # the network: 4 px to the right
    assert unrefined.track(frames[0]).box_xywh[0] == pytest.approx(102)  # half of it, by the centre filter
    # The same pixels are still there: the match puts the centre back on them.
    assert refined.track(frames[0]).box_xywh[0] == pytest.approx(100, abs=0.3)


def _textured_target_frame(side_px: float) -> RGBTFrame:
    """A still background with a textured square of `side_px` centred at (320, 220), the same in both bands."""
    rng = np.random.default_rng(5)
    background = cv2.GaussianBlur(rng.uniform(60, 120, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 3.0)
    target = cv2.GaussianBlur(rng.uniform(0, 255, (40, 40)).astype(np.float32), (0, 0), 2.0)
    scale = side_px / 40.0
    warp = np.array([[scale, 0.0, 320 - side_px / 2], [0.0, scale, 220 - side_px / 2]])
    drawn = cv2.warpAffine(target, warp, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.ones_like(target), warp, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    gray = np.clip(mask * drawn + (1 - mask) * background, 0, 255).astype(np.uint8)
    return RGBTFrame(rgb=np.repeat(gray[..., None], 3, axis=2), tir=gray)


def test_the_default_tracker_takes_the_size_the_template_match_measures(make_tiny_model) -> None:
    measuring = Tracker(make_tiny_model(), device="cpu", box_calibration=None)
    assert measuring.refiner is not None and measuring.refiner.refinement.scale_step == DEFAULT_TEMPLATE_REFINEMENT.scale_step
    centre_only = Tracker(
        make_tiny_model(), device="cpu", box_calibration=None, template_refinement=TemplateRefinement(scale_step=None)
    )
    grown = _textured_target_frame(46.0)  # the target has grown by 15 %
    sides = {}
    for name, tracker in (("measuring", measuring), ("centre_only", centre_only)):
        tracker.initialize(_textured_target_frame(40.0), (300, 200, 40, 40))
        tracker.forward = ScriptedForward(row=6, col=6, size_wh=(0.25, 0.25))  # the network: still 40 x 40 px
        sides[name] = [tracker.track(grown).box_xywh[2] for _ in range(30)]
    assert sides["centre_only"][-1] == pytest.approx(40.0)
    # The box rules pace it (at most 1 % a frame by default); it grows most of the way and never past the target.
    # (On this tight box of a smooth texture the correlation itself peaks a little under the true size; on the
    # real-appearance sequences the tracked size's median bias is -0.4 %.)
    assert np.all(np.diff(sides["measuring"]) > -0.05) and sides["measuring"][0] > 40.0
    assert 43.0 <= sides["measuring"][-1] <= 46.5


def test_the_peak_is_mapped_back_to_image_pixels(tracker: Tracker, frames) -> None:
    tracker.box_rules = NO_LIMITS  # the network's box as it is: this checks the geometry alone
    tracker.initialize(frames[0], (300, 200, 40, 40))  # search side = 4 * 40 = 160 px around (320, 220)
    tracker.forward = ScriptedForward(row=6, col=6, size_wh=(0.25, 0.25))
    assert tracker.track(frames[1]).box_xywh == pytest.approx((300, 200, 40, 40))  # the centre cell: no motion
    tracker.initialize(frames[0], (300, 200, 40, 40))
    tracker.forward = ScriptedForward(row=3, col=9, offset_xy=(0.5, 0.25), size_wh=(0.25, 0.5))
    result = tracker.track(frames[1])
    center_x = 240 + 160 * 9.5 / 12  # crop origin + fraction of the crop
    center_y = 140 + 160 * 3.25 / 12
    assert result.box_xywh == pytest.approx((center_x - 20, center_y - 40, 40, 80))
    assert result.score == pytest.approx(torch.sigmoid(torch.tensor(10.0)).item() * float(tracker.window[3, 9]), rel=1e-5)


def test_predicted_boxes_are_clamped_inside_the_image(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (590, 430, 40, 40))  # near the bottom-right corner
    tracker.forward = ScriptedForward(row=11, col=11, offset_xy=(0.9, 0.9), size_wh=(1.0, 1.0))
    for frame in frames[1:4]:
        result = tracker.track(frame)
        assert _inside(result.box_xywh)
    tracker.forward = ScriptedForward(row=0, col=0, size_wh=(0.0, 0.0))  # degenerate size
    result = tracker.track(frames[4])
    assert _inside(result.box_xywh) and result.box_xywh[2] >= 2 and result.box_xywh[3] >= 2


@pytest.mark.parametrize("nan_in", ["score", "alpha"])
def test_a_non_finite_output_marks_the_step_lost_and_keeps_box_and_state(tracker: Tracker, frames, nan_in) -> None:
    tracker.initialize(frames[0], (300, 200, 40, 40))
    tracker.forward = ScriptedForward(row=5, col=7)
    good = tracker.track(frames[1])
    state_before, box_before = tracker.state, tracker.box_xywh
    tracker.forward = ScriptedForward(row=2, col=2, nan_in=nan_in)
    lost = tracker.track(frames[2])
    assert lost.lost and lost.score == 0.0 and math.isnan(lost.alpha_mean) and lost.alpha_per_layer == ()
    assert lost.box_xywh == good.box_xywh
    assert tracker.state is state_before  # the NaN never entered TMR's history
    np.testing.assert_array_equal(tracker.box_xywh, box_before)
    # The next good step continues from the last good box.
    tracker.forward = ScriptedForward(row=6, col=6)
    assert tracker.track(frames[3]).box_xywh == pytest.approx(good.box_xywh)


def test_nan_weights_inside_the_network_mark_the_step_lost(tracker: Tracker, frames) -> None:
    tracker.initialize(frames[0], (192, 192, 40, 50))
    good = tracker.track(frames[1])
    state_before = tracker.state
    bias = tracker.model.tpi[2].up.bias
    saved = bias.detach().clone()
    with torch.no_grad():
        bias[0] = math.nan  # poisons the features from block 3 on
    result = tracker.track(frames[2])
    assert result.lost and result.box_xywh == good.box_xywh and tracker.state is state_before
    with torch.no_grad():
        bias.copy_(saved)
    assert not tracker.track(frames[2]).lost


def test_without_a_hann_window_the_raw_peak_wins(make_tiny_model, frames) -> None:
    tracker = Tracker(make_tiny_model(), device="cpu", hann_window=False, box_calibration=None)
    assert tracker.window is None
    tracker.initialize(frames[0], (300, 200, 40, 40))
    tracker.forward = ScriptedForward(row=0, col=0)
    assert tracker.track(frames[1]).score == pytest.approx(torch.sigmoid(torch.tensor(10.0)).item())


def test_mirror_average_runs_both_views_and_maps_the_mirror_back(make_tiny_model, frames) -> None:
    tracker = Tracker(
        make_tiny_model(), device="cpu", mirror_average=True, box_rules=NO_LIMITS, box_calibration=None, center_smoothing=NO_SMOOTHING,
        template_refinement=None,
    )
    tracker.initialize(frames[0], (300, 200, 40, 40))
    assert tracker.state.alpha.shape[0] == 2  # one TMR history per view
    single = ScriptedForward(row=3, col=9, offset_xy=(0.5, 0.25), size_wh=(0.25, 0.5))
    seen = []

    def both_views(template, search_rgb, search_tir, state):
        seen.append((search_rgb, search_tir))
        out = single(template, search_rgb[:1], search_tir[:1], TemporalState(state.alpha[:1], state.response_gap[:1]))
        alpha = torch.cat([out.alpha, out.alpha])
        return TPMRIOutput(with_mirror(out.maps), alpha=alpha, state=TemporalState(alpha, torch.cat([out.state.response_gap] * 2)))

    tracker.forward = both_views
    result = tracker.track(frames[1])
    search_rgb, search_tir = seen[0]
    torch.testing.assert_close(search_rgb[1], search_rgb[0].flip(-1))
    torch.testing.assert_close(search_tir[1], search_tir[0].flip(-1))
    center_x, center_y = 240 + 160 * 9.5 / 12, 140 + 160 * 3.25 / 12  # as without the mirror
    assert result.box_xywh == pytest.approx((center_x - 20, center_y - 40, 40, 80))
    assert len(result.alpha_per_layer) == tracker.model.num_layers and tracker.state.alpha.shape[0] == 2


def test_mirror_average_tracks_with_the_real_network(make_tiny_model, frames) -> None:
    tracker = Tracker(make_tiny_model(), device="cpu", mirror_average=True)
    tracker.initialize(frames[0], (300, 200, 40, 40))
    for frame in frames[1:4]:
        result = tracker.track(frame)
        assert not result.lost and _inside(result.box_xywh) and 0 <= result.alpha_mean <= 1


# ------------------------------------------------------------------------------------------- GPU


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_autocast_tracking_gives_valid_boxes(make_tiny_model, frames) -> None:
    tracker = Tracker(make_tiny_model(), device="cuda", precision="auto")
    assert tracker.autocast_dtype in (torch.bfloat16, torch.float16)
    assert next(tracker.model.parameters()).device.type == "cuda"
    tracker.initialize(frames[0], (192, 192, 40, 50))
    for frame in frames[1:]:
        result = tracker.track(frame)
        assert not result.lost and _inside(result.box_xywh)
        assert 0 < result.alpha_mean < 1
