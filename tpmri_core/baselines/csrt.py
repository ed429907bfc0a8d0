"""OpenCV's CSRT tracker on one modality (or each in turn), writing result files `tpmri eval` reads.

CSRT lives in opencv-contrib-python, which provides the same `cv2` module as opencv-python; install the
contrib build of the same version to run it:

    pip install "opencv-contrib-python==$(python -c 'import cv2; print(cv2.__version__)').*"
    python -m tpmri_core.baselines.csrt --root SEQS --results results/csrt --modality both
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from tpmri_core.baselines.single_modality import TrackerFactory, main as baseline_main, track_sequence
from tpmri_core.data.sequences import Sequence
from tpmri_core.errors import UserError


def create_csrt() -> "cv2.Tracker":
    factory = getattr(cv2, "TrackerCSRT", None)
    if factory is None:
        raise UserError("OpenCV's CSRT tracker needs opencv-contrib-python (see tpmri_core/baselines/csrt.py)")
    return factory.create()


def track_sequence_csrt(sequence: Sequence, modality: str) -> np.ndarray:
    """(N, 4) boxes: the first ground-truth box, then CSRT's answers (its last box when it reports a miss)."""
    return track_sequence(sequence, modality, create_csrt)


def _factory(args: argparse.Namespace) -> TrackerFactory:
    return create_csrt


def main(argv: list[str] | None = None) -> int:
    return baseline_main(argv, "csrt", "Run OpenCV CSRT on one modality (or both) of every sequence under ROOT.", _factory)


if __name__ == "__main__":
    sys.exit(main())
