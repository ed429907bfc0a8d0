"""Box format conversions; the format is always in the name (xywh = left, top, width, height)."""

from __future__ import annotations

import numpy as np


def xywh_to_xyxy(boxes_xywh: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes_xywh, dtype=np.float64)
    return np.concatenate([boxes[..., :2], boxes[..., :2] + boxes[..., 2:4]], axis=-1)


def xyxy_to_xywh(boxes_xyxy: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes_xyxy, dtype=np.float64)
    return np.concatenate([boxes[..., :2], boxes[..., 2:4] - boxes[..., :2]], axis=-1)


def xywh_to_cxcywh(boxes_xywh: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes_xywh, dtype=np.float64)
    return np.concatenate([boxes[..., :2] + boxes[..., 2:4] / 2, boxes[..., 2:4]], axis=-1)


def cxcywh_to_xywh(boxes_cxcywh: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes_cxcywh, dtype=np.float64)
    return np.concatenate([boxes[..., :2] - boxes[..., 2:4] / 2, boxes[..., 2:4]], axis=-1)


def parse_box_xywh(text: str) -> tuple[float, float, float, float]:
    """Parse 'x,y,w,h' from a command line; raise ValueError with the offending text."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4:
        raise ValueError(f"box {text!r} must be four numbers x,y,w,h")
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"box {text!r} must be four numbers x,y,w,h") from None
    if not all(np.isfinite([x, y, w, h])) or w <= 0 or h <= 0:
        raise ValueError(f"box {text!r} needs finite values and a positive width and height")
    return x, y, w, h
