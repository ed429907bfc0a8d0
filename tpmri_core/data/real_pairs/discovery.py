"""Finding registered image pairs in a folder: `<id>_visible.<ext>` beside `<id>_infrared.<ext>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.errors import UserError

PAIR_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
_NAME = re.compile(r"^(?P<id>.+)_(?P<band>visible|infrared)$", re.IGNORECASE)


@dataclass(frozen=True)
class ImagePair:
    """One registered visible + thermal photograph pair.

    Args:
        pair_id: the shared name part before `_visible` / `_infrared`.
        visible_path: the visible (RGB or grey) image.
        infrared_path: the thermal image, on the same pixel grid.
    """

    pair_id: str
    visible_path: Path
    infrared_path: Path


def find_pairs(folder: Path) -> list[ImagePair]:
    """Every complete pair in `folder`, sorted by id; a band without its partner is an error, not a skip,
    because a user who renamed one file half-way would otherwise lose a picture silently."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: pairs folder not found")
    bands: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in PAIR_SUFFIXES or not path.is_file():
            continue
        match = _NAME.match(path.stem)
        if match is None:
            continue
        band = match["band"].lower()
        entry = bands.setdefault(match["id"], {})
        if band in entry:
            raise UserError(f"{path}: a second {band} image for pair {match['id']!r} (also {entry[band].name})")
        entry[band] = path
    pairs = []
    for pair_id, entry in sorted(bands.items()):
        missing = {"visible", "infrared"} - entry.keys()
        if missing:
            (present,) = entry.values()
            raise UserError(f"{present}: no {missing.pop()} image beside it (expected {pair_id}_{'visible' if 'visible' in missing else 'infrared'}.*)")
        pairs.append(ImagePair(pair_id, entry["visible"], entry["infrared"]))
    if not pairs:
        raise UserError(f"{folder}: no image pairs (expected <id>_visible.jpg and <id>_infrared.jpg, or .png)")
    return pairs


def read_pair(pair: ImagePair) -> tuple[np.ndarray, np.ndarray]:
    """(rgb (H, W, 3) uint8 in RGB order, tir (H, W) uint8); a grey visible image becomes three equal channels.

    Raises UserError for an unreadable file or bands of different sizes (they must be registered).
    """
    visible = cv2.imread(str(pair.visible_path), cv2.IMREAD_COLOR)
    if visible is None:
        raise UserError(f"{pair.visible_path}: not a readable image")
    infrared = cv2.imread(str(pair.infrared_path), cv2.IMREAD_GRAYSCALE)
    if infrared is None:
        raise UserError(f"{pair.infrared_path}: not a readable image")
    if visible.shape[:2] != infrared.shape[:2]:
        raise UserError(
            f"{pair.infrared_path}: {infrared.shape[1]}x{infrared.shape[0]} but the visible image is "
            f"{visible.shape[1]}x{visible.shape[0]}; register the pair first (tpmri calibrate)"
        )
    return cv2.cvtColor(visible, cv2.COLOR_BGR2RGB), infrared
