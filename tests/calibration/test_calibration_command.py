"""`tpmri calibrate` end to end: board folders and point files in, a calibration file and preview out."""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

from tpmri_calibration import command
from tpmri_calibration.board_render import render_board_pair
from tpmri_calibration.calibration_file import load_calibration
from tpmri_calibration.homography import map_points
from tpmri_calibration.point_pairs import PointPairs, write_point_pairs

MATRIX = np.array([[1.9, 0.05, 30.0], [-0.04, 1.95, 12.0], [8e-5, -5e-5, 1.0]])


def run_calibrate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tpmri")
    command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calibrate", *argv])
    return args.run(args)


def test_help_explains_both_methods(capsys) -> None:
    with pytest.raises(SystemExit):
        run_calibrate(["--help"])
    text = capsys.readouterr().out
    for expected in ("Board image pairs", "Point pairs", "tir_x, tir_y, rgb_x, rgb_y", "--pattern", "--preview", "INNER corners"):
        assert expected in text


def test_board_folders_give_calibration_file_and_preview(tmp_path, capsys) -> None:
    (tmp_path / "rgb").mkdir()
    (tmp_path / "tir").mkdir()
    rendering = render_board_pair(MATRIX, (640, 480), (320, 256), fill=0.55, seed=0)
    cv2.imwrite(str(tmp_path / "rgb" / "000.png"), rendering.rgb)
    cv2.imwrite(str(tmp_path / "tir" / "000.png"), rendering.tir)
    output, preview = tmp_path / "calibration.json", tmp_path / "preview.jpg"

    code = run_calibrate(["--rgb", str(tmp_path / "rgb"), "--tir", str(tmp_path / "tir"), "-o", str(output), "--preview", str(preview)])

    assert code == 0
    calibration = load_calibration(output)
    errors = np.linalg.norm(map_points(calibration.matrix_tir_to_rgb, rendering.corners_tir) - rendering.corners_rgb, axis=1)
    assert errors.max() < 0.5
    assert "RMS error" in capsys.readouterr().out
    picture = cv2.imread(str(preview))
    assert picture.shape == (480, 2 * 640 + 8, 3)


def test_point_file_with_sizes(tmp_path, capsys) -> None:
    tir = np.random.default_rng(0).uniform([5, 5], [315, 250], (12, 2))
    pairs_path = write_point_pairs(PointPairs(tir, map_points(MATRIX, tir)), tmp_path / "pairs.csv")
    output = tmp_path / "out.json"
    code = run_calibrate(["--points", str(pairs_path), "--tir-size", "320x256", "--rgb-size", "640x480", "-o", str(output)])
    assert code == 0
    assert json.loads(output.read_text())["method"] == "point pairs"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--points", "pairs.csv"], "--points needs the image sizes"),
        ([], "give board images with --rgb and --tir, or a point-pair file with --points"),
        (["--points", "nope.csv", "--tir-size", "320x256", "--rgb-size", "640by480"], "point-pair file nope.csv does not exist"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pairs.csv").write_text("1,2,3,4\n5,6,7,8\n9,1,2,3\n4,5,6,7\n")
    assert run_calibrate(argv) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_unequal_image_counts_are_an_error(tmp_path, capsys) -> None:
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.zeros((8, 8), np.uint8))
    assert run_calibrate(["--rgb", str(image), str(image), "--tir", str(image)]) == 2
    assert "--rgb gives 2 images but --tir gives 1" in capsys.readouterr().err
