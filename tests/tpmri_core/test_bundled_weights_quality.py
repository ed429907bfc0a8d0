"""The bundled weights still track: a floor per event kind on small generated sequences.

A regression in the weights, the crops, the preprocessing or the decoding shows here as a collapse of the
success score, which unit tests of each piece alone can miss. The floors sit well below what the bundled
weights reach on these seeds (measured values in FLOORS' comment) and well above a box that never moves,
so the test catches breakage, not noise.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tpmri_core.commands.tracker_options import MIRROR_AVERAGE_DEFAULT
from tpmri_core.data.synth import SynthConfig, generate_sequence
from tpmri_core.evaluation.protocols import protocol_for
from tpmri_core.evaluation.scores import score_sequence
from tpmri_core.tracking.tracker import Tracker
from tpmri_core.weights import resolve_model

SEEDS = (4101, 4102)
"""Not the held-out seed (20261125) nor the validation seeds (7100-7105)."""
FRAMES = 60

FLOORS = {
    "clean": 60.0,
    "darkness": 50.0,
    "overexposure": 50.0,
    "crossover": 55.0,
    "occlusion": 20.0,
    "distractor": 40.0,
}
"""Mean SR (percent, RGBT234 conventions) over SEEDS; the bundled weights measured (default tracker, one
thread, the widened generator; the loose-box weights and 2 % box rules of 2026-12-02): clean 84, darkness 85,
overexposure 85, crossover 82, occlusion 56, distractor 77."""


def _success(boxes_xywh: np.ndarray, frames: list) -> float:
    gt_rgb = np.array([f.box_xywh_rgb for f in frames])
    gt_tir = np.array([f.box_xywh_tir for f in frames])
    return 100.0 * float(score_sequence(protocol_for("rgbt234"), boxes_xywh, gt_rgb, gt_tir).success_curve.mean())


@pytest.fixture(scope="module")
def bundled_model():
    return resolve_model(allow_untrained=False).model


@pytest.mark.parametrize("scenario", sorted(FLOORS))
def test_the_bundled_weights_track_each_event_kind_above_a_floor(bundled_model, scenario):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the floors were measured on one thread; boxes depend on it slightly
    try:
        tracked, still = [], []
        for seed in SEEDS:
            frames = list(generate_sequence(seed, FRAMES, SynthConfig(width=320, height=240, scenario=scenario)))
            tracker = Tracker(bundled_model, device="cpu", mirror_average=MIRROR_AVERAGE_DEFAULT)
            tracker.initialize(frames[0].as_rgbt_frame(), frames[0].box_xywh_rgb)
            boxes = [frames[0].box_xywh_rgb] + [tracker.track(f.as_rgbt_frame()).box_xywh for f in frames[1:]]
            tracked.append(_success(np.array(boxes), frames))
            still.append(_success(np.tile(frames[0].box_xywh_rgb, (FRAMES, 1)), frames))
    finally:
        torch.set_num_threads(threads)
    assert np.mean(tracked) >= FLOORS[scenario], f"{scenario}: SR {tracked} below the floor {FLOORS[scenario]}"
    # Where the target moves away from its first box, tracking must beat a box that never moves; a scene whose
    # target pauses near its start (the generator's motion has pauses) cannot tell the two apart.
    moving = [i for i, value in enumerate(still) if value < 50.0]
    assert moving, f"{scenario}: no sequence whose target leaves its first box (still-box SR {still})"
    assert all(tracked[i] >= still[i] + 10 for i in moving), f"{scenario}: SR {tracked} hardly beats a still box {still}"
