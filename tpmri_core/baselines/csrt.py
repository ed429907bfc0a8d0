"""OpenCV's CSRT tracker on one modality, writing result files `tpmri eval` reads.

CSRT lives in opencv-contrib-python, which provides the same `cv2` module as opencv-python; install the
contrib build of the same version to run it:

    pip install "opencv-contrib-python==$(python -c 'import cv2; print(cv2.__version__)').*"
    python -m tpmri_core.baselines.csrt --root SEQS --results results/csrt_rgb --modality rgb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.sequences import Sequence, open_sequence
from tpmri_core.errors import UserError
from tpmri_core.evaluation.result_files import write_result_boxes_xywh


def _create_csrt() -> "cv2.Tracker":
    factory = getattr(cv2, "TrackerCSRT", None)
    if factory is None:
        raise UserError("OpenCV's CSRT tracker needs opencv-contrib-python (see this module's docstring)")
    return factory.create()


def track_sequence_csrt(sequence: Sequence, modality: str) -> np.ndarray:
    """(N, 4) boxes: the first ground-truth box, then CSRT's answers (its last box when it reports a miss)."""
    if sequence.gt_rgb_xywh is None:
        raise UserError(f"{sequence.root}: CSRT needs a first ground-truth box")
    box = tuple(float(v) for v in sequence.gt_rgb_xywh[0])
    boxes = [box]
    tracker = _create_csrt()
    for index in range(len(sequence)):
        frame = sequence.read_frame(index)
        image = frame.rgb[..., ::-1] if modality == "rgb" else cv2.cvtColor(frame.tir, cv2.COLOR_GRAY2BGR)
        image = np.ascontiguousarray(image)
        if index == 0:
            tracker.init(image, tuple(int(round(v)) for v in box))
            continue
        found, answer = tracker.update(image)
        if found:
            box = tuple(float(v) for v in answer)
        boxes.append(box)
    return np.array(boxes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run OpenCV CSRT on one modality of every sequence under ROOT.")
    parser.add_argument("--root", type=Path, required=True, help="folder of sequence folders (any supported layout)")
    parser.add_argument("--results", type=Path, required=True, help="where <sequence>.txt result files go")
    parser.add_argument("--modality", choices=["rgb", "tir"], required=True)
    args = parser.parse_args(argv)
    try:
        if not args.root.is_dir():
            raise UserError(f"--root {args.root} is not a folder")
        folders = sorted(p for p in args.root.iterdir() if p.is_dir())
        for folder in folders:
            target = args.results / f"{folder.name}.txt"
            if target.exists():
                continue
            boxes = track_sequence_csrt(open_sequence(folder), args.modality)
            write_result_boxes_xywh(target, boxes)
            print(f"{folder.name}: {len(boxes)} frames", flush=True)
    except UserError as error:
        print(f"csrt: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
