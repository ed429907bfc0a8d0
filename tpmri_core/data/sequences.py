"""RGB-T sequences on disk: LasHeR, RGBT234, RGBT210, GTOT and plain visible/ + infrared/ folders.

`open_sequence(folder)` reads one sequence in any supported layout; `list_sequences` and
`load_sequence` address the sequences of a dataset root by name (LasHeR with its train/test split).
Evaluation passes `need_images=False`: then only annotation files are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.attributes import read_frame_flags, sequence_attributes
from tpmri_core.data.box_files import read_annotation_xywh
from tpmri_core.data.layouts import (
    LASHER_SPLIT_FOLDERS,
    LASHER_SPLIT_LISTS,
    LAYOUT_NAMES,
    AnnotationFile,
    LayoutSpec,
    child_names,
    detect_layout,
    find_child,
    layout_spec,
)
from tpmri_core.errors import UserError
from tpmri_core.frames import RGBTFrame

DATASET_NAMES: tuple[str, ...] = LAYOUT_NAMES
IMAGE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
# The benchmarks carry no timestamps; frames are given times at a nominal 30 fps.
NOMINAL_FRAME_INTERVAL_S = 1.0 / 30.0


@dataclass(frozen=True, eq=False)
class Sequence:
    """One RGB-T sequence: image paths, per-modality ground truth and challenge attributes.

    Args:
        name: sequence name (its folder name).
        root: the sequence folder.
        layout: 'lasher' | 'rgbt234' | 'rgbt210' | 'gtot' | 'plain'.
        rgb_paths: visible image files in frame order (empty when loaded without images).
        tir_paths: thermal image files, as many as rgb_paths.
        gt_rgb_xywh: (N, 4) float64 visible ground truth, NaN rows where the target has no box;
            None when the sequence has no annotation.
        gt_tir_xywh: (N, 4) thermal ground truth (the visible one again for datasets with one file).
        attributes: the dataset's per-sequence challenge attributes, e.g. {'TC', 'LI'}; may be empty.
            For sequences with per-frame events, the events that occur at least once.
        frame_attributes: per-frame flags, name -> (N,) bool, where the sequence has them (the
            events.csv of our synthetic sequences: darkness, overexposure, crossover, ...); else empty.
    """

    name: str
    root: Path
    layout: str
    rgb_paths: tuple[Path, ...]
    tir_paths: tuple[Path, ...]
    gt_rgb_xywh: np.ndarray | None
    gt_tir_xywh: np.ndarray | None
    attributes: frozenset[str] = field(default_factory=frozenset)
    frame_attributes: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        if self.rgb_paths:
            return len(self.rgb_paths)
        return 0 if self.gt_rgb_xywh is None else len(self.gt_rgb_xywh)

    @property
    def has_images(self) -> bool:
        return bool(self.rgb_paths)

    @property
    def init_box_xywh(self) -> tuple[float, float, float, float] | None:
        """The first visible ground-truth box, the one trackers start from; None without one."""
        if self.gt_rgb_xywh is None or not np.isfinite(self.gt_rgb_xywh[0]).all():
            return None
        x, y, w, h = (float(v) for v in self.gt_rgb_xywh[0])
        return x, y, w, h

    def read_frame(self, index: int) -> RGBTFrame:
        """Load frame `index`: RGB order, thermal as uint8 gray resized onto the RGB grid if sizes differ."""
        if not self.rgb_paths:
            raise UserError(f"{self.root}: sequence was loaded without images (need_images=False)")
        if not -len(self) <= index < len(self):
            raise IndexError(f"frame {index} out of range for {len(self)} frames of {self.name}")
        index %= len(self)
        return read_frame_pair(self.rgb_paths[index], self.tir_paths[index], index)


def read_frame_pair(rgb_path: Path, tir_path: Path, index: int = 0) -> RGBTFrame:
    """One frame from its two image files, the thermal one resized onto the RGB grid if sizes differ.

    The datasets ship aligned pairs, some at different resolutions; a resize is all the registration
    they need. Frame `index` gets the nominal time index / 30 s.
    """
    rgb = read_rgb_image(rgb_path)
    tir, tir_raw = read_tir_image(tir_path)
    height, width = rgb.shape[:2]
    if tir.shape != (height, width):
        tir = cv2.resize(tir, (width, height), interpolation=cv2.INTER_LINEAR)
    t_s = index * NOMINAL_FRAME_INTERVAL_S
    return RGBTFrame(rgb=rgb, tir=tir, t_rgb=t_s, t_tir=t_s, tir_raw=tir_raw, index=index)


def read_rgb_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"{path}: cannot read image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_tir_image(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(8-bit gray view, raw 16-bit frame or None). 16-bit frames are stretched min..max to 0..255."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UserError(f"{path}: cannot read image")
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype == np.uint8:
        return image, None
    raw = image.astype(np.uint16) if image.dtype == np.uint16 else None
    gray = cv2.normalize(image.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX)
    return gray.astype(np.uint8), raw


def list_images(folder: Path) -> tuple[Path, ...]:
    """Image files of a folder in natural order (frame2 before frame10)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: image folder not found")
    images = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if not images:
        raise UserError(f"{folder}: no images (.jpg, .png, .bmp, .tif)")
    return tuple(sorted(images, key=_natural_key))


def _natural_key(path: Path) -> tuple:
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name))


def open_sequence(
    path: Path, layout: str = "auto", need_images: bool = True, attributes: frozenset[str] = frozenset()
) -> Sequence:
    """Read one sequence folder; `layout='auto'` recognises it from the files present.

    Args:
        path: the sequence folder.
        layout: one of LAYOUT_NAMES, or 'auto'.
        need_images: list the image files and check their counts; False reads annotations only.
        attributes: per-sequence attributes the dataset root declares (load_sequence fills them in).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{folder}: sequence folder not found")
    spec = layout_spec(detect_layout(folder) if layout == "auto" else layout)
    names = child_names(folder)
    gt_rgb, gt_tir = _read_ground_truths(folder, names, spec)
    rgb_paths: tuple[Path, ...] = ()
    tir_paths: tuple[Path, ...] = ()
    if need_images:
        rgb_paths, tir_paths = _image_paths(folder, names, spec)
        if gt_rgb is not None and len(gt_rgb) != len(rgb_paths):
            raise UserError(
                f"{folder / _annotation_name(names, spec.rgb_annotations)}: {len(gt_rgb)} boxes but "
                f"{len(rgb_paths)} images in {spec.rgb_folder}/"
            )
    frame_attributes: dict[str, np.ndarray] = {}
    if "events.csv" in names:
        frame_attributes = read_frame_flags(folder / names["events.csv"])
        n_frames = len(gt_rgb) if gt_rgb is not None else len(rgb_paths)
        n_flags = len(next(iter(frame_attributes.values())))
        if n_frames and n_flags != n_frames:
            what = f"boxes in {_annotation_name(names, spec.rgb_annotations)}" if gt_rgb is not None else "images"
            raise UserError(f"{folder / names['events.csv']}: {n_flags} frames but {n_frames} {what}")
        attributes = attributes | {name for name, flags in frame_attributes.items() if flags.any()}
    return Sequence(
        name=folder.name,
        root=folder,
        layout=spec.name,
        rgb_paths=rgb_paths,
        tir_paths=tir_paths,
        gt_rgb_xywh=gt_rgb,
        gt_tir_xywh=gt_tir,
        attributes=frozenset(attributes),
        frame_attributes=frame_attributes,
    )


def _read_ground_truths(
    folder: Path, names: dict[str, str], spec: LayoutSpec
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(visible, thermal) ground truth; one file serves both where the layout ships only one."""
    gt_rgb = _read_first_annotation(folder, names, spec.rgb_annotations)
    gt_tir = _read_first_annotation(folder, names, spec.tir_annotations)
    if gt_rgb is None:
        gt_rgb = gt_tir
    if gt_rgb is None and spec.annotation_required:
        expected = " or ".join(a.name for a in spec.rgb_annotations)
        raise UserError(f"{folder}: no annotation file ({expected}) for layout {spec.name}")
    if gt_tir is None:
        gt_tir = gt_rgb
    if gt_rgb is not None and len(gt_rgb) != len(gt_tir):
        raise UserError(
            f"{folder}: {_annotation_name(names, spec.tir_annotations)} has {len(gt_tir)} boxes but "
            f"{_annotation_name(names, spec.rgb_annotations)} has {len(gt_rgb)}"
        )
    return gt_rgb, gt_tir


def _read_first_annotation(
    folder: Path, names: dict[str, str], candidates: tuple[AnnotationFile, ...]
) -> np.ndarray | None:
    for candidate in candidates:
        real_name = names.get(candidate.name.lower())
        if real_name is not None:
            return read_annotation_xywh(folder / real_name, corners=candidate.corners)
    return None


def _annotation_name(names: dict[str, str], candidates: tuple[AnnotationFile, ...]) -> str:
    for candidate in candidates:
        if candidate.name.lower() in names:
            return names[candidate.name.lower()]
    return candidates[0].name if candidates else "annotation"


def _image_paths(folder: Path, names: dict[str, str], spec: LayoutSpec) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    for sub in (spec.rgb_folder, spec.tir_folder):
        if sub.lower() not in names:
            raise UserError(f"{folder}: missing image folder {sub}/ (layout {spec.name})")
    rgb_folder = folder / names[spec.rgb_folder.lower()]
    tir_folder = folder / names[spec.tir_folder.lower()]
    rgb_paths, tir_paths = list_images(rgb_folder), list_images(tir_folder)
    if len(rgb_paths) != len(tir_paths):
        raise UserError(
            f"{folder}: {len(rgb_paths)} images in {rgb_folder.name}/ but {len(tir_paths)} in {tir_folder.name}/"
        )
    return rgb_paths, tir_paths


def list_sequences(dataset: str, root: Path, split: str | None = None) -> list[str]:
    """Names of a dataset root's sequences, in the dataset's list order where it ships a list.

    Args:
        dataset: 'lasher' | 'rgbt234' | 'rgbt210' | 'gtot' | 'plain'.
        root: the dataset root (for LasHeR the folder holding trainingset/ and testingset/, or one
            split folder itself).
        split: LasHeR only: 'train', 'test' or None for both.
    """
    root = _checked_root(dataset, root)
    if dataset != "lasher":
        if split is not None:
            raise UserError(f"--split applies to lasher only, not {dataset}")
        names = _sequence_folders(root, dataset)
    else:
        names = []
        for folder, list_file in _lasher_split_folders(root, split):
            names.extend(_listed_names(list_file) if list_file is not None else _sequence_folders(folder, dataset))
    if not names:
        raise UserError(f"{root}: no {dataset} sequences found")
    return names


def load_sequence(dataset: str, root: Path, name: str, need_images: bool = True) -> Sequence:
    """Open the sequence `name` of a dataset root, with the dataset's attributes."""
    root = _checked_root(dataset, root)
    if dataset == "lasher":
        candidates = [folder / name for folder, _ in _lasher_split_folders(root, None)]
    else:
        candidates = [root / name]
    for folder in candidates:
        if folder.is_dir():
            return open_sequence(
                folder, layout=dataset, need_images=need_images,
                attributes=sequence_attributes(dataset, root, name),
            )
    raise UserError(f"{root}: sequence {name!r} not found (looked for {', '.join(str(c) for c in candidates)})")


def _checked_root(dataset: str, root: Path) -> Path:
    if dataset not in DATASET_NAMES:
        raise UserError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASET_NAMES)}")
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: dataset root not found")
    return root


def _sequence_folders(root: Path, dataset: str) -> list[str]:
    """Sub-folders that look like sequences of this dataset (attribute and toolkit folders are skipped)."""
    spec = layout_spec(dataset)
    markers = {spec.rgb_folder.lower(), spec.tir_folder.lower()}
    markers |= {a.name.lower() for a in spec.rgb_annotations + spec.tir_annotations}
    names = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if markers & {entry.name.lower() for entry in folder.iterdir()}:
            names.append(folder.name)
    return names


def _lasher_split_folders(root: Path, split: str | None) -> list[tuple[Path, Path | None]]:
    """(split folder, its list file or None) for the requested LasHeR split(s).

    A root without trainingset/ or testingset/ is taken to be a split folder itself.
    """
    if split not in (None, "train", "test"):
        raise UserError(f"LasHeR split must be 'train' or 'test', not {split!r}")
    present: dict[str, Path] = {}
    for split_name, candidates in LASHER_SPLIT_FOLDERS.items():
        for relative in candidates:
            folder = _find_relative(root, relative)
            if folder is not None and folder.is_dir():
                present[split_name] = folder
                break
    if not present:
        return [(root, None)]
    wanted = ("train", "test") if split is None else (split,)
    if split is not None and split not in present:
        raise UserError(f"{root}: no {LASHER_SPLIT_FOLDERS[split][1]}/ folder for the LasHeR {split} split")
    found = []
    for split_name in wanted:
        if split_name in present:
            folder = present[split_name]
            list_file = find_child(root, LASHER_SPLIT_LISTS[split_name]) or find_child(
                folder.parent, LASHER_SPLIT_LISTS[split_name]
            )
            found.append((folder, list_file))
    return found


def _find_relative(root: Path, relative: str) -> Path | None:
    folder: Path | None = root
    for part in relative.split("/"):
        folder = find_child(folder, part) if folder is not None else None
    return folder


def _listed_names(list_file: Path) -> list[str]:
    lines = list_file.read_text(encoding="utf-8-sig").splitlines()
    return [line.split(",")[0].strip() for line in lines if line.strip()]
