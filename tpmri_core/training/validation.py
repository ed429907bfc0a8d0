"""A quick held-out score during training: track a few generated sequences from seeds training never uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tpmri_core.evaluation.box_errors import center_errors_px, overlaps
from tpmri_core.frames import RGBTFrame
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.tracking.tracker import Tracker

VALIDATION_SEED_BASE = 7_000_000  # training scenes use seed * 1_000_003 + k with small seeds; see README


@dataclass(frozen=True)
class QuickScore:
    sr: float  # area under the success curve, percent
    pr: float  # share of frames within 20 px, percent


def quick_validation(model: TPMRI, num_sequences: int, num_frames: int, device: torch.device) -> QuickScore:
    from tpmri_core.data.synth import generate_sequence

    tracker = Tracker(model, device=str(device.type))
    ious, errors = [], []
    for k in range(num_sequences):
        frames = list(generate_sequence(VALIDATION_SEED_BASE + k, num_frames))
        first = frames[0]
        tracker.initialize(RGBTFrame(first.rgb, first.tir), first.box_xywh_rgb)
        boxes = [tracker.track(RGBTFrame(f.rgb, f.tir)).box_xywh for f in frames[1:]]
        truth = np.array([f.box_xywh_rgb for f in frames[1:]])
        ious.append(overlaps(np.array(boxes), truth))
        errors.append(center_errors_px(np.array(boxes), truth))
    iou, error = np.concatenate(ious), np.concatenate(errors)
    thresholds = np.linspace(0, 1, 21)
    success = np.array([(iou > t).mean() for t in thresholds])
    return QuickScore(sr=100 * float(success.mean()), pr=100 * float((error <= 20).mean()))
