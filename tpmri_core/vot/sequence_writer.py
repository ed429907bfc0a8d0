"""One of our RGB-T sequences as a VOT toolkit sequence folder.

    NAME/sequence          key=value metadata: channels.color=color/%08d.jpg, channels.ir=ir/%08d.png, ...
    NAME/color/00000001.*  visible frames, numbered from 1
    NAME/ir/00000001.*     thermal frames on the visible pixel grid (registered)
    NAME/groundtruth.txt   x,y,w,h per frame of the visible annotation; '0' (unknown) where the target is absent
    NAME/anchor.value      multistart anchors: 1 run forward, -1 run backward, 0 none
    NAME/absent.tag, NAME/<event>.tag   per-frame flags (1/0): frames without a target, our synthetic events

Images are hard-linked where the file system allows it and copied otherwise; a thermal channel that
is not 8-bit or not on the visible grid is written again as PNG, registered the way `tpmri track` sees it.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.sequences import NOMINAL_FRAME_INTERVAL_S, Sequence, read_frame_pair
from tpmri_core.errors import UserError

COPYABLE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
FRAME_PATTERN = "%08d"
ABSENT_TAG = "absent"
DEFAULT_ANCHOR_SPACING = 50  # VOT2020's multistart anchors are about 50 frames apart
_TAG_NAME = re.compile(r"[^A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class WrittenSequence:
    """What was written for one sequence, for the workspace's summary and the EAO interval."""

    name: str
    length: int
    width: int
    height: int
    anchors: int
    absent_frames: int
    converted_ir: bool


def anchor_values(gt_xywh: np.ndarray, spacing: int) -> np.ndarray:
    """Multistart anchors as the toolkit's anchor.value holds them: one every `spacing` frames.

    Each anchor moves forward to the first frame of its stretch with a visible target (or is dropped), and
    runs towards the farther end of the sequence: forward (1) from the first half, backward (-1) from the
    second, so every run is at least half the sequence long, as in VOT2020.
    """
    if spacing < 1:
        raise ValueError(f"anchor spacing must be at least 1 frame, got {spacing}")
    boxes = np.asarray(gt_xywh, dtype=np.float64)
    count = len(boxes)
    visible = np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0) if count else np.zeros(0, bool)
    values = np.zeros(count, dtype=np.int8)
    for start in range(0, count, spacing):
        stretch = np.flatnonzero(visible[start : start + spacing])
        if len(stretch) == 0:
            continue
        frame = start + int(stretch[0])
        values[frame] = 1 if frame <= (count - 1) - frame else -1
    return values


def groundtruth_lines(gt_xywh: np.ndarray) -> list[str]:
    """'x,y,w,h' per frame; '0' (the toolkit's 'unknown' special region) where the target has no box."""
    lines = []
    for box in np.asarray(gt_xywh, dtype=np.float64):
        if np.isfinite(box).all() and box[2] > 0 and box[3] > 0:
            lines.append(",".join(f"{value:.4f}".rstrip("0").rstrip(".") for value in box))
        else:
            lines.append("0")
    return lines


def tag_name(name: str) -> str:
    """A frame-flag name as a tag file name (the toolkit takes the tag's name from the file's)."""
    return _TAG_NAME.sub("_", name.strip()) or "tag"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _common_suffix(paths: tuple[Path, ...]) -> str | None:
    suffixes = {path.suffix.lower() for path in paths}
    return suffixes.pop() if len(suffixes) == 1 and suffixes <= COPYABLE_SUFFIXES else None


def _image_size_wh(path: Path) -> tuple[int, int, np.dtype]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UserError(f"{path}: cannot read image")
    return int(image.shape[1]), int(image.shape[0]), image.dtype


def _ir_can_be_linked(sequence: Sequence, rgb_wh: tuple[int, int]) -> bool:
    """Whether the thermal files can serve as they are: 8-bit, one copyable format, on the visible grid
    (checked on the first frame; the datasets keep one size per sequence)."""
    if _common_suffix(sequence.tir_paths) is None:
        return False
    width, height, dtype = _image_size_wh(sequence.tir_paths[0])
    return (width, height) == rgb_wh and dtype == np.uint8


def write_vot_sequence(sequence: Sequence, folder: Path, anchor_spacing: int = DEFAULT_ANCHOR_SPACING) -> WrittenSequence:
    """Write `sequence` as the VOT sequence folder `folder` (which must not exist yet)."""
    if not sequence.has_images:
        raise UserError(f"{sequence.root}: sequence has no images")
    if sequence.gt_rgb_xywh is None:
        raise UserError(f"{sequence.root}: no ground truth; the VOT experiments need a box on every frame with a target")
    gt = sequence.gt_rgb_xywh
    anchors = anchor_values(gt, anchor_spacing)
    if not np.any(anchors):
        raise UserError(f"{sequence.root}: the target has no box on any frame")
    width, height, _ = _image_size_wh(sequence.rgb_paths[0])

    folder.mkdir(parents=True)
    color_suffix = _common_suffix(sequence.rgb_paths)
    link_ir = _ir_can_be_linked(sequence, (width, height))
    (folder / "color").mkdir()
    (folder / "ir").mkdir()
    ir_suffix = _common_suffix(sequence.tir_paths) if link_ir else ".png"
    for index in range(len(sequence)):
        name = FRAME_PATTERN % (index + 1)
        if color_suffix is not None:
            _link_or_copy(sequence.rgb_paths[index], folder / "color" / f"{name}{color_suffix}")
        if link_ir:
            _link_or_copy(sequence.tir_paths[index], folder / "ir" / f"{name}{ir_suffix}")
        if color_suffix is None or not link_ir:
            frame = read_frame_pair(sequence.rgb_paths[index], sequence.tir_paths[index], index)
            if color_suffix is None:
                cv2.imwrite(str(folder / "color" / f"{name}.png"), cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR))
            if not link_ir:
                cv2.imwrite(str(folder / "ir" / f"{name}.png"), frame.tir)
    color_suffix = color_suffix or ".png"

    metadata = {
        "name": sequence.name,
        "fps": str(round(1.0 / NOMINAL_FRAME_INTERVAL_S)),
        "format": "default",
        "channel.default": "color",
        "channels.color": f"color/{FRAME_PATTERN}{color_suffix}",
        "channels.ir": f"ir/{FRAME_PATTERN}{ir_suffix}",
        "width": str(width),
        "height": str(height),
        "length": str(len(sequence)),
    }
    (folder / "sequence").write_text("".join(f"{key}={value}\n" for key, value in metadata.items()), encoding="utf-8")
    (folder / "groundtruth.txt").write_text("\n".join(groundtruth_lines(gt)) + "\n", encoding="utf-8")
    (folder / "anchor.value").write_text("".join(f"{int(v)}\n" for v in anchors), encoding="utf-8")
    absent = ~(np.isfinite(gt).all(axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0))
    flags = dict(sequence.frame_attributes)
    if absent.any():
        flags[ABSENT_TAG] = absent
    for flag_name, values in flags.items():
        lines = "".join("1\n" if value else "0\n" for value in np.asarray(values, dtype=bool))
        (folder / f"{tag_name(flag_name)}.tag").write_text(lines, encoding="utf-8")
    return WrittenSequence(
        name=sequence.name,
        length=len(sequence),
        width=width,
        height=height,
        anchors=int(np.count_nonzero(anchors)),
        absent_frames=int(absent.sum()),
        converted_ir=not link_ir,
    )
