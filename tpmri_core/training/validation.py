"""A quick held-out score during training: track a few generated sequences from seeds training never uses,
scored with RGBT234's conventions (the ones the README's synthetic benchmark uses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tpmri_core.evaluation.protocols import protocol_for
from tpmri_core.evaluation.scores import score_benchmark, score_sequence
from tpmri_core.frames import RGBTFrame
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.tracking.tracker import Tracker

VALIDATION_SEED_BASE = 7_000_000  # below 2**32 like `tpmri synth` seeds; training uses >= 2**33


@dataclass(frozen=True)
class QuickScore:
    sr: float  # success rate, percent
    pr: float  # precision at 20 px, percent


def quick_validation(model: TPMRI, num_sequences: int, num_frames: int, device: torch.device) -> QuickScore:
    from tpmri_core.data.synth import generate_sequence

    protocol = protocol_for("rgbt234")
    tracker = Tracker(model, device=str(device.type))
    scores = []
    for k in range(num_sequences):
        frames = list(generate_sequence(VALIDATION_SEED_BASE + k, num_frames))
        first = frames[0]
        tracker.initialize(RGBTFrame(first.rgb, first.tir), first.box_xywh_rgb)
        boxes = [first.box_xywh_rgb] + [tracker.track(RGBTFrame(f.rgb, f.tir)).box_xywh for f in frames[1:]]
        scores.append(
            score_sequence(
                protocol,
                np.array(boxes),
                np.array([f.box_xywh_rgb for f in frames]),
                np.array([f.box_xywh_tir for f in frames]),
                name=str(k),
            )
        )
    score = score_benchmark(protocol, scores)
    return QuickScore(sr=100 * score.sr, pr=100 * score.pr)
