"""The published folder layouts of one RGB-T sequence, and how to recognise them.

    rgbt234  SEQ/visible/00001v.jpg  SEQ/infrared/00001i.jpg  SEQ/visible.txt  SEQ/infrared.txt  (init.txt)
    lasher   same files as rgbt234; sequences live in trainingset/ and testingset/ (init.txt may replace
             visible.txt: the three LasHeR annotation files are identical, the pairs being aligned)
    rgbt210  SEQ/visible/  SEQ/infrared/  SEQ/init.txt (one annotation for both, aligned)
    gtot     SEQ/v/  SEQ/i/  SEQ/groundTruth_v.txt  SEQ/groundTruth_i.txt  (x1 y1 x2 y2 corners; init.txt is xywh)
    plain    SEQ/visible/  SEQ/infrared/  optional SEQ/groundtruth.txt (x,y,w,h for both)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tpmri_core.errors import UserError

LAYOUT_NAMES: tuple[str, ...] = ("lasher", "rgbt234", "rgbt210", "gtot", "plain")
# Where a LasHeR root keeps each split (the download unpacks to TrainingSet/trainingset/ ...),
# and the list file that orders it.
LASHER_SPLIT_FOLDERS: dict[str, tuple[str, ...]] = {
    "train": ("TrainingSet/trainingset", "trainingset", "train"),
    "test": ("TestingSet/testingset", "testingset", "test"),
}
LASHER_SPLIT_LISTS: dict[str, str] = {"train": "trainingsetList.txt", "test": "testingsetList.txt"}


@dataclass(frozen=True)
class AnnotationFile:
    """One candidate annotation file name and its box format."""

    name: str
    corners: bool = False


@dataclass(frozen=True)
class LayoutSpec:
    """Where one layout keeps its images and annotations.

    Args:
        name: layout name, one of LAYOUT_NAMES.
        rgb_folder: folder of visible images inside the sequence folder.
        tir_folder: folder of thermal images.
        rgb_annotations: candidate visible annotation files, the first one present wins.
        tir_annotations: candidate thermal annotation files; when none is present the visible one
            serves both (the datasets that ship one file are aligned).
        annotation_required: whether a sequence without annotation is malformed.
    """

    name: str
    rgb_folder: str
    tir_folder: str
    rgb_annotations: tuple[AnnotationFile, ...]
    tir_annotations: tuple[AnnotationFile, ...]
    annotation_required: bool = True


LAYOUTS: dict[str, LayoutSpec] = {
    "rgbt234": LayoutSpec(
        "rgbt234", "visible", "infrared",
        (AnnotationFile("visible.txt"), AnnotationFile("init.txt")),
        (AnnotationFile("infrared.txt"),),
    ),
    "lasher": LayoutSpec(
        "lasher", "visible", "infrared",
        (AnnotationFile("visible.txt"), AnnotationFile("init.txt")),
        (AnnotationFile("infrared.txt"),),
    ),
    "rgbt210": LayoutSpec(
        "rgbt210", "visible", "infrared",
        (AnnotationFile("init.txt"), AnnotationFile("visible.txt")),
        (AnnotationFile("infrared.txt"),),
    ),
    "gtot": LayoutSpec(
        "gtot", "v", "i",
        (AnnotationFile("groundTruth_v.txt", corners=True), AnnotationFile("init.txt")),
        (AnnotationFile("groundTruth_i.txt", corners=True),),
    ),
    "plain": LayoutSpec(
        "plain", "visible", "infrared",
        (AnnotationFile("groundtruth.txt"),),
        (),
        annotation_required=False,
    ),
}


def layout_spec(layout: str) -> LayoutSpec:
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise UserError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUT_NAMES)}") from None


def find_child(folder: Path, name: str) -> Path | None:
    """The entry `name` of `folder`, matched case-insensitively, or None."""
    exact = folder / name
    if exact.exists():
        return exact
    if not folder.is_dir():
        return None
    wanted = name.lower()
    for entry in folder.iterdir():
        if entry.name.lower() == wanted:
            return entry
    return None


def child_names(folder: Path) -> dict[str, str]:
    """Lower-case name -> real name of a folder's entries, so 'groundtruth_v.txt' finds 'groundTruth_v.txt'."""
    try:
        return {name.lower(): name for name in sorted(p.name for p in folder.iterdir())}
    except FileNotFoundError:
        raise UserError(f"{folder}: folder not found") from None
    except NotADirectoryError:
        raise UserError(f"{folder}: not a folder") from None


def detect_layout(sequence_folder: Path) -> str:
    """Name the layout of a sequence folder from the files it holds."""
    folder = Path(sequence_folder)
    names = child_names(folder)
    has = names.__contains__
    if has("groundtruth_v.txt") or has("groundtruth_i.txt") or (has("v") and has("i")):
        return "gtot"
    if folder.parent.name.lower() in ("trainingset", "testingset") and (
        has("visible.txt") or has("init.txt") or has("visible")
    ):
        return "lasher"
    if has("visible.txt") or has("infrared.txt"):
        return "rgbt234"
    if has("init.txt") and (has("visible") or has("infrared")):
        return "rgbt210"
    if has("visible") and has("infrared"):
        return "plain"
    raise UserError(
        f"{folder}: not an RGB-T sequence folder (expected visible/ and infrared/ with visible.txt, "
        "init.txt or groundtruth.txt, or GTOT's v/, i/ and groundTruth_v.txt)"
    )
