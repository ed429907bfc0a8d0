"""`tpmri calibrate`: measure the thermal-to-RGB homography and save it as a calibration file."""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from tpmri_calibration.board_detection import BoardKind, BoardPattern
from tpmri_calibration.calibrate import (
    BoardImagePair,
    CalibrationOutcome,
    calibrate_from_board_images,
    calibrate_from_point_pairs,
    list_images,
    read_image,
    size_wh,
)
from tpmri_calibration.calibration_file import save_calibration
from tpmri_calibration.errors import CalibrationError
from tpmri_calibration.homography import HIGH_RMS_ERROR_PX
from tpmri_calibration.overlay import before_after_overlay, save_rgb_image
from tpmri_calibration.point_pairs import read_point_pairs
from tpmri_calibration.registration import Registration

DESCRIPTION = """\
Measure the homography that maps thermal (TIR) pixels onto RGB pixels and save it as a calibration
file for tpmri-live (--calibration FILE). Two methods:

  1. Board image pairs (default). Show a calibration board to both cameras at once and save one RGB
     and one thermal image per pose (5-10 poses at the working distance, covering the view). The board
     must be visible in thermal: a heated or cooled board, or a printed board lit by a warm lamp; it
     is found in the contrast-stretched thermal image and in its inverse, so polarity does not matter.
     Give the images as files or folders; they are paired in sorted order:
         tpmri calibrate --rgb shots/rgb --tir shots/tir --board chessboard --pattern 9x6
     --pattern counts INNER corners for a chessboard (a board of 10x7 squares is 9x6), circles for
     circle grids.

  2. Point pairs from a text file. Pick at least 4 (better 8+) points visible in both images, spread
     over the view and not on one line, one pair per line as "tir_x, tir_y, rgb_x, rgb_y" in pixels
     ('#' starts a comment; an optional header line "tir_x,tir_y,rgb_x,rgb_y"). Give the image sizes,
     or one image of each camera (needed for --preview):
         tpmri calibrate --points pairs.csv --tir-size 320x256 --rgb-size 640x480

Both methods use RANSAC, print the RMS reprojection error in RGB pixels and warn when it is high or
when the points are degenerate (collinear, bunched in one spot, too few). A homography is exact for
one distance only: calibrate with the board where the target will be.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "calibrate",
        help="measure the thermal-to-RGB homography (board image pairs or point pairs)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rgb", nargs="+", metavar="PATH", help="RGB images or folders of images")
    parser.add_argument("--tir", nargs="+", metavar="PATH", help="thermal images or folders (8- or 16-bit)")
    parser.add_argument("--points", metavar="FILE", help="point-pair file (method 2) instead of board detection")
    parser.add_argument(
        "--board", default=BoardKind.CHESSBOARD.value, choices=[k.value for k in BoardKind],
        help="board kind: chessboard, circles (symmetric grid) or acircles (asymmetric grid) (default: %(default)s)",
    )
    parser.add_argument(
        "--pattern", default="9x6", metavar="COLSxROWS",
        help="inner corners (chessboard) or circles per row x rows (default: %(default)s)",
    )
    parser.add_argument("--rgb-size", metavar="WxH", help="RGB image size, for --points without images")
    parser.add_argument("--tir-size", metavar="WxH", help="thermal image size, for --points without images")
    parser.add_argument(
        "-o", "--output", default="calibration.json", metavar="FILE", help="calibration file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--preview", metavar="PATH",
        help="also save a before/after overlay image (RGB edges green, thermal edges magenta, white where they agree)",
    )
    parser.add_argument(
        "--ransac-threshold-px", type=float, default=3.0, metavar="PX",
        help="largest RGB-pixel error for a point to count as an inlier (default: %(default)s)",
    )
    parser.add_argument(
        "--warn-rms-px", type=float, default=HIGH_RMS_ERROR_PX, metavar="PX",
        help="warn when the RMS reprojection error exceeds this (default: %(default)s)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; calibration problems print as one line and exit 2 (like UserError elsewhere)."""
    try:
        outcome, preview_pair = _measure(args)
    except CalibrationError as error:
        print(f"tpmri calibrate: error: {error}", file=sys.stderr)
        return 2
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    calibration = outcome.calibration
    path = save_calibration(calibration, args.output)
    print(
        f"{path}: thermal {calibration.tir_size_wh[0]}x{calibration.tir_size_wh[1]} -> "
        f"RGB {calibration.rgb_size_wh[0]}x{calibration.rgb_size_wh[1]}, {calibration.method}, "
        f"{calibration.point_count} points, RMS error {calibration.rms_error_px:.3f} px"
    )
    if args.preview:
        if preview_pair is None:
            print("tpmri calibrate: error: --preview needs one --rgb and one --tir image", file=sys.stderr)
            return 2
        rgb, tir = preview_pair
        picture = before_after_overlay(
            _as_rgb_order(rgb),
            tir,
            Registration.stretch(size_wh(tir), size_wh(rgb)),
            Registration.from_calibration(calibration),
            after_label=f"after: calibrated (RMS {calibration.rms_error_px:.2f} px)",
        )
        print(f"preview: {save_rgb_image(picture, args.preview)}")
    return 0


def _measure(args: argparse.Namespace) -> tuple[CalibrationOutcome, tuple[np.ndarray, np.ndarray] | None]:
    rgb_paths = list_images(args.rgb) if args.rgb else []
    tir_paths = list_images(args.tir) if args.tir else []
    if len(rgb_paths) != len(tir_paths):
        raise CalibrationError(
            f"--rgb gives {len(rgb_paths)} images but --tir gives {len(tir_paths)}: they are paired in sorted order"
        )
    preview_pair = (read_image(rgb_paths[0]), read_image(tir_paths[0])) if rgb_paths else None
    if args.points:
        pairs = read_point_pairs(args.points)
        if preview_pair is not None:
            rgb_size, tir_size = size_wh(preview_pair[0]), size_wh(preview_pair[1])
        elif args.rgb_size and args.tir_size:
            rgb_size, tir_size = _parse_size(args.rgb_size, "--rgb-size"), _parse_size(args.tir_size, "--tir-size")
        else:
            raise CalibrationError("--points needs the image sizes: give --rgb-size and --tir-size, or --rgb and --tir images")
        return calibrate_from_point_pairs(pairs, tir_size, rgb_size, args.ransac_threshold_px, args.warn_rms_px), preview_pair
    if not rgb_paths:
        raise CalibrationError("give board images with --rgb and --tir, or a point-pair file with --points")
    pattern = BoardPattern.parse(args.board, args.pattern)
    board_pairs = [
        BoardImagePair(f"{rgb_path.name} + {tir_path.name}", read_image(rgb_path), read_image(tir_path))
        for rgb_path, tir_path in zip(rgb_paths, tir_paths, strict=True)
    ]
    return calibrate_from_board_images(board_pairs, pattern, args.ransac_threshold_px, args.warn_rms_px), preview_pair


def _parse_size(text: str, flag: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise CalibrationError(f"{flag} {text!r} must be WIDTHxHEIGHT in pixels, for example 640x480")
    return int(parts[0]), int(parts[1])


def _as_rgb_order(image: np.ndarray) -> np.ndarray:
    """Images read by OpenCV are BGR; the overlay wants RGB order (grey images pass through)."""
    if image.ndim == 3:
        return cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    return image
