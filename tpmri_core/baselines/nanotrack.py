"""NanoTrack (v2, ONNX) through OpenCV's `cv2.TrackerNano`, on one modality or both: a small Siamese tracker
trained on real RGB video, the peer a user choosing a tracker would try.

No weights ship with this project: pass the folder holding `backbone.onnx` and `head.onnx` (e.g.
NanoTrack's `nanotrack_backbone_sim.onnx` and `nanotrack_head_sim.onnx`, renamed):

    python -m tpmri_core.baselines.nanotrack --model-dir DIR --root SEQS --results results/nanotrack --modality both

Those weights come from the NanoTrack project (HonglinChu/SiamTrackers), licensed under the Apache License,
Version 2.0: you may not use them except in compliance with the License, a copy of which is at
http://www.apache.org/licenses/LICENSE-2.0; they are distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR
CONDITIONS OF ANY KIND, either express or implied. Keep their LICENSE file beside them wherever they travel.
This module is ours and contains none of their code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from tpmri_core.baselines.single_modality import TrackerFactory, main as baseline_main
from tpmri_core.errors import UserError

BACKBONE_FILE = "backbone.onnx"
HEAD_FILE = "head.onnx"


def nanotrack_factory(model_dir: Path) -> TrackerFactory:
    """A function that makes a fresh cv2.TrackerNano from `model_dir`'s two ONNX files (checked here, once)."""
    model_dir = Path(model_dir)
    backbone, head = model_dir / BACKBONE_FILE, model_dir / HEAD_FILE
    for path in (backbone, head):
        if not path.is_file():
            raise UserError(f"{path}: NanoTrack model file not found (--model-dir needs {BACKBONE_FILE} and {HEAD_FILE})")
    if not hasattr(cv2, "TrackerNano_Params"):
        raise UserError(f"this OpenCV build ({cv2.__version__}) has no TrackerNano")

    def create() -> "cv2.Tracker":
        params = cv2.TrackerNano_Params()
        params.backbone, params.neckhead = str(backbone), str(head)
        try:
            return cv2.TrackerNano_create(params)
        except cv2.error as error:
            raise UserError(f"{model_dir}: OpenCV could not load NanoTrack ({str(error).strip().splitlines()[-1]})") from None

    return create


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", type=Path, required=True, help=f"folder with {BACKBONE_FILE} and {HEAD_FILE}")


def _factory(args: argparse.Namespace) -> TrackerFactory:
    return nanotrack_factory(args.model_dir)


def main(argv: list[str] | None = None) -> int:
    return baseline_main(
        argv, "nanotrack", "Run NanoTrack (cv2.TrackerNano) on one modality (or both) of every sequence under ROOT.",
        _factory, _add_arguments,
    )


if __name__ == "__main__":
    sys.exit(main())
