"""Sequences from registered photograph pairs (`tpmri pairs-to-sequences`), on pairs the tests draw."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tpmri_core.data.real_pairs import SEQUENCE_KINDS, find_pairs, find_targets, make_sequence, read_pair
from tpmri_core.data.real_pairs.build import plan_sequences, read_target_choices
from tpmri_core.data.sequences import list_sequences, load_sequence
from tpmri_core.errors import UserError
from tpmri_live.tpmri_command import main

WIDTH, HEIGHT = 480, 360
PERSON_XYWH = (150, 120, 30, 80)
CAR_XYWH = (300, 220, 90, 50)


def _drawn_pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A night street: textured cool background; a warm person (tall), a warm car (wide), a warm strip
    along the bottom edge (cut off by the frame) and a thin warm wire (not an object)."""
    rng = np.random.default_rng(seed)
    tir = cv2.GaussianBlur(rng.normal(70, 12, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 3)
    for x, y, w, h in (PERSON_XYWH, CAR_XYWH):
        cv2.ellipse(tir, (x + w // 2, y + h // 2), (w // 2, h // 2), 0, 0, 360, 190, -1)
    cv2.rectangle(tir, (200, HEIGHT - 25), (330, HEIGHT - 1), 200, -1)
    cv2.line(tir, (20, 40), (460, 60), 210, 2)
    tir = np.clip(tir, 0, 255).astype(np.uint8)
    rgb = np.stack([tir // 3, tir // 4, (tir // 2) + 20], axis=-1).astype(np.uint8)
    rgb[..., 1] = np.clip(rng.normal(40, 10, (HEIGHT, WIDTH)), 0, 255).astype(np.uint8)
    return rgb, tir


def _write_pairs(folder: Path, count: int = 2) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        rgb, tir = _drawn_pair(index)
        cv2.imwrite(str(folder / f"p{index}_visible.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(folder / f"p{index}_infrared.png"), tir)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_find_targets_keeps_the_person_and_the_car_and_rejects_border_and_wire() -> None:
    _, tir = _drawn_pair()
    targets = find_targets(tir)
    boxes = [np.array(t.box_xywh) for t in targets]
    kinds = {t.kind for t in targets}
    assert len(targets) == 2, [t.box_xywh for t in targets]
    assert max(_iou(b, np.array(PERSON_XYWH)) for b in boxes) > 0.75
    assert max(_iou(b, np.array(CAR_XYWH)) for b in boxes) > 0.75
    assert kinds == {"person", "vehicle"}
    for target in targets:
        x, y, w, h = target.box_xywh
        assert target.mask[int(y + h / 2), int(x + w / 2)]
        assert target.contrast > 45


def test_find_targets_reads_black_hot_pictures() -> None:
    _, tir = _drawn_pair()
    black_hot = [np.array(t.box_xywh) for t in find_targets(255 - tir, black_hot=True)]
    white_hot = [np.array(t.box_xywh) for t in find_targets(255 - tir)]
    assert len(black_hot) == 2 and max(_iou(b, np.array(PERSON_XYWH)) for b in black_hot) > 0.75
    assert all(_iou(b, np.array(PERSON_XYWH)) < 0.5 for b in white_hot)


def test_find_pairs_matches_bands_and_names_the_missing_partner(tmp_path: Path) -> None:
    _write_pairs(tmp_path / "pairs")
    pairs = find_pairs(tmp_path / "pairs")
    assert [p.pair_id for p in pairs] == ["p0", "p1"]
    rgb, tir = read_pair(pairs[0])
    assert rgb.shape == (HEIGHT, WIDTH, 3) and tir.shape == (HEIGHT, WIDTH)
    (tmp_path / "pairs" / "p1_infrared.png").unlink()
    with pytest.raises(UserError, match="p1_visible.png: no infrared image"):
        find_pairs(tmp_path / "pairs")


def test_read_pair_refuses_unregistered_sizes(tmp_path: Path) -> None:
    _write_pairs(tmp_path)
    cv2.imwrite(str(tmp_path / "p0_infrared.png"), np.zeros((100, 100), np.uint8))
    with pytest.raises(UserError, match="register the pair first"):
        read_pair(find_pairs(tmp_path)[0])


def _box_contrast(tir: np.ndarray, box: np.ndarray) -> float:
    """Mean thermal level inside the box minus the mean of a ring around it."""
    x, y, w, h = (int(round(v)) for v in box)
    inner = tir[y + h // 4 : y + h - h // 4, x + w // 4 : x + w - w // 4].astype(float)
    grown = tir[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2].astype(float)
    return float(inner.mean() - grown.mean())


@pytest.mark.parametrize("motion", ["camera", "target"])
def test_the_box_follows_the_warm_target_through_camera_and_target_motion(motion: str) -> None:
    rgb, tir = _drawn_pair()
    targets = find_targets(tir)
    sequence = make_sequence(rgb, tir, targets[0], "clean", np.random.default_rng(3), 30, (320, 240), motion=motion)
    assert len(sequence) == 30
    assert sequence.rgb[0].shape == (240, 320, 3) and sequence.tir[0].shape == (240, 320)
    assert not any(flags.any() for flags in sequence.events.values())
    for index in (0, 15, 29):
        box = sequence.boxes_xywh[index]
        assert box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= 320 and box[1] + box[3] <= 240
        assert _box_contrast(sequence.tir[index], box) > 30
    moved = np.abs(sequence.boxes_xywh[-1, :2] - sequence.boxes_xywh[0, :2]).max()
    assert moved > 2


def test_events_change_the_band_they_name_during_the_flagged_frames() -> None:
    rgb, tir = _drawn_pair()
    target = find_targets(tir)[0]
    made = {
        kind: make_sequence(rgb, tir, target, kind, np.random.default_rng(5), 40, (320, 240), look_alikes=find_targets(tir))
        for kind in SEQUENCE_KINDS
    }
    for kind in ("darkness", "overexposure", "crossover", "occlusion", "distractor"):
        assert made[kind].events[kind].any(), kind
        assert not made["clean"].events[kind].any()
    dark = made["darkness"]
    during = np.flatnonzero(dark.events["darkness"])[5]
    assert dark.rgb[during].mean() < 0.4 * dark.rgb[0].mean()
    glare = made["overexposure"]
    during = np.flatnonzero(glare.events["overexposure"])[5]
    assert glare.rgb[during].mean() > 1.5 * glare.rgb[0].mean()
    cross = made["crossover"]
    during = np.flatnonzero(cross.events["crossover"])[5]
    assert _box_contrast(cross.tir[during], cross.boxes_xywh[during]) < 0.4 * _box_contrast(cross.tir[0], cross.boxes_xywh[0])
    occluded = made["occlusion"]
    during = np.flatnonzero(occluded.events["occlusion"])
    middle = during[len(during) // 2]
    assert _box_contrast(occluded.tir[middle], occluded.boxes_xywh[middle]) < 0.5 * _box_contrast(occluded.tir[0], occluded.boxes_xywh[0])


def test_the_same_seed_makes_the_same_sequence() -> None:
    rgb, tir = _drawn_pair()
    target = find_targets(tir)[0]
    first = make_sequence(rgb, tir, target, "darkness", np.random.default_rng(9), 12, motion="target")
    second = make_sequence(rgb, tir, target, "darkness", np.random.default_rng(9), 12, motion="target")
    assert np.array_equal(first.boxes_xywh, second.boxes_xywh)
    assert all(np.array_equal(a, b) for a, b in zip(first.rgb, second.rgb))


def test_plans_give_every_kind_its_turn(tmp_path: Path) -> None:
    _write_pairs(tmp_path / "mine", count=2)
    plans = plan_sequences([("mine", find_pairs(tmp_path / "mine"))], sequences_per_pair=6, seed=1)
    assert sorted(p.kind for p in plans) == sorted(SEQUENCE_KINDS * 2)
    assert {p.motion for p in plans} == {"camera", "target"}
    assert len({p.seed for p in plans}) == 12


def test_target_file_lines_and_their_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("# checked\np0,1\np1, 0, 2  # two\n")
    assert read_target_choices(path) == {"p0": [1], "p1": [0, 2]}
    path.write_text("p0\n")
    with pytest.raises(UserError, match=r"targets.csv:1: expected"):
        read_target_choices(path)


def test_command_writes_a_root_that_benchmarks_read_per_kind_and_source(tmp_path: Path, capsys) -> None:
    _write_pairs(tmp_path / "street", count=2)
    out = tmp_path / "out"
    code = main(["pairs-to-sequences", str(tmp_path / "street"), str(out), "--frames", "8", "--sequences-per-pair", "2",
                 "--kinds", "clean,darkness", "--seed", "4"])
    assert code == 0
    names = list_sequences("rgbt234", out)
    assert len(names) == 4 and all(name.startswith("street_p") for name in names)
    sequence = load_sequence("rgbt234", out, names[0])
    assert len(sequence) == 8 and sequence.gt_rgb_xywh.shape == (8, 4)
    assert {"source-street", sequence.name.split("_")[2]} <= sequence.attributes
    assert set(sequence.frame_attributes) == {"darkness", "overexposure", "crossover", "occlusion", "distractor"}
    meta = json.loads((out / names[0] / "meta.json").read_text())
    assert meta["pair_id"] in ("p0", "p1") and meta["source"] == "street"
    frame = sequence.read_frame(3)
    assert frame.rgb.shape == (240, 320, 3)
    before = {name: (out / name / "visible" / "00001v.jpg").stat().st_mtime_ns for name in names}
    assert main(["pairs-to-sequences", str(tmp_path / "street"), str(out), "--frames", "8", "--sequences-per-pair", "2",
                 "--kinds", "clean,darkness", "--seed", "4"]) == 0
    assert before == {name: (out / name / "visible" / "00001v.jpg").stat().st_mtime_ns for name in names}


def test_command_candidates_sheet_and_bad_arguments(tmp_path: Path, capsys) -> None:
    _write_pairs(tmp_path / "street", count=1)
    sheet = tmp_path / "sheet.png"
    assert main(["pairs-to-sequences", str(tmp_path / "street"), str(sheet), "--candidates-sheet"]) == 0
    assert cv2.imread(str(sheet)).shape[1] == 6 * 320
    capsys.readouterr()
    assert main(["pairs-to-sequences", str(tmp_path / "street"), str(tmp_path / "o"), "--kinds", "fog"]) == 2
    assert "--kinds 'fog'" in capsys.readouterr().err
    assert main(["pairs-to-sequences", str(tmp_path / "nothing"), str(tmp_path / "o")]) == 2
    assert "pairs folder not found" in capsys.readouterr().err
    (tmp_path / "t.csv").write_text("p9,0\n")
    assert main(["pairs-to-sequences", str(tmp_path / "street"), str(tmp_path / "o"), "--targets", str(tmp_path / "t.csv")]) == 2
    assert "'p9' is in none" in capsys.readouterr().err


def test_the_real_validation_targets_file_reads_as_53_distinct_pairs():
    path = Path(__file__).resolve().parents[2] / "assets" / "real-validation-targets.csv"
    choices = read_target_choices(path)
    assert len(choices) == 53
    assert all(len(numbers) == 1 for numbers in choices.values())  # one target per pair, checked by eye
    assert "jpg" not in path.read_text() and "png" not in path.read_text()  # ids only, no picture file names
