"""Move a trained TPMRI onto the real-feature stem without starting over.

A model trained with its own stem has a transformer that reads that stem's tokens. Swapping in NanoTrack's
backbone (see models.real_features) changes the tokens; the 1x1 projection that makes them is fitted here,
by least squares, to reproduce the old stem's tokens on crops of generated scenes, so that fine-tuning
starts from a model that already tracks instead of from a random projection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tpmri_core.data.sequences import open_sequence
from tpmri_core.errors import UserError
from tpmri_core.models.real_features import load_nanotrack_onnx
from tpmri_core.models.stems import RealFeatureStem
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.tracking.crops import crop_transform, crop_image
from tpmri_core.tracking.preprocess import rgb_to_tensor, tir_to_tensor

TEMPLATE_FACTOR = 2.0
SEARCH_FACTOR = 4.0


@dataclass(frozen=True)
class ProjectionFit:
    modality: str
    samples: int
    r_squared: float  # share of the old tokens' variance the fitted projection reproduces


def real_stem_model(model: TPMRI, real_features_onnx: Path | str) -> TPMRI:
    """A copy of `model` with real-feature stems (NanoTrack weights from `real_features_onnx`) and every
    other tensor taken over; the projections are left at their initial values."""
    args = dict(model.model_args, stem="real", ce_layers=tuple(model.model_args["ce_layers"]))
    transferred = TPMRI(**args)
    kept = {k: v for k, v in model.state_dict().items() if not k.startswith(("rgb_stem.", "tir_stem."))}
    result = transferred.load_state_dict(kept, strict=False)
    leftover = [k for k in result.missing_keys if not k.startswith(("rgb_stem.", "tir_stem."))]
    if leftover or result.unexpected_keys:
        raise ValueError(f"stem transfer left tensors behind: missing {leftover[:3]}, unexpected {result.unexpected_keys[:3]}")
    for stem in (transferred.rgb_stem, transferred.tir_stem):
        if stem is not None:
            load_nanotrack_onnx(stem.features, real_features_onnx)
    return transferred.eval()


def sequence_crops(
    sequence_dirs: Iterable[Path], template_size: int, search_size: int, every: int = 4, seed: int = 0
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(rgb, tir) network tensors of template- and search-sized crops around each `every`-th ground-truth
    box of RGBT234-layout sequences, with the jitter of centre and scale a tracker's crops have."""
    rng = np.random.default_rng(seed)
    for folder in sequence_dirs:
        sequence = open_sequence(folder, layout="rgbt234")
        if sequence.gt_rgb_xywh is None:
            raise UserError(f"{folder}: sequence has no ground truth to crop around")
        for index in range(0, len(sequence), every):
            box = sequence.gt_rgb_xywh[index].copy()
            if not (np.isfinite(box).all() and box[2] > 1 and box[3] > 1):
                continue
            frame = sequence.read_frame(index)
            for factor, size in ((TEMPLATE_FACTOR, template_size), (SEARCH_FACTOR, search_size)):
                jittered = box.copy()
                jittered[:2] += rng.normal(0.0, 0.3, 2) * jittered[2:]
                transform = crop_transform(jittered, factor * float(np.exp(rng.normal(0.0, 0.15))), size)
                yield rgb_to_tensor(crop_image(frame.rgb, transform)), tir_to_tensor(crop_image(frame.tir, transform))


def fit_projection(old_stem: nn.Module, new_stem: RealFeatureStem, images: Iterable[torch.Tensor], modality: str,
                   ridge: float = 1e-2) -> ProjectionFit:
    """Set `new_stem.project` to the ridge least-squares map from its features to `old_stem`'s tokens."""
    features, targets = [], []
    with torch.no_grad():
        for image in images:
            targets.append(old_stem(image).flatten(0, 1))
            features.append(new_stem.backbone_features(image).flatten(2).transpose(1, 2).flatten(0, 1))
    inputs = torch.cat(features).double()
    inputs = torch.cat([inputs, torch.ones(len(inputs), 1, dtype=inputs.dtype)], dim=1)
    wanted = torch.cat(targets).double()
    gram = inputs.T @ inputs + ridge * torch.eye(inputs.shape[1], dtype=inputs.dtype)
    solution = torch.linalg.solve(gram, inputs.T @ wanted)
    residual = ((inputs @ solution - wanted) ** 2).sum()
    r_squared = float(1 - residual / ((wanted - wanted.mean(0)) ** 2).sum())
    with torch.no_grad():
        new_stem.project.weight.copy_(solution[:-1].T.float()[:, :, None, None])
        new_stem.project.bias.copy_(solution[-1].float())
    return ProjectionFit(modality, len(wanted), r_squared)
