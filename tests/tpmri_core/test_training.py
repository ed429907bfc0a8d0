"""Training pieces: targets, losses, clip cropping, the smoke run and resuming."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from tpmri_core.models.head import HeadMaps
from tpmri_core.models.checkpoint import load_checkpoint
from tpmri_core.tracking.preprocess import rgb_to_tensor, tir_to_tensor
from tpmri_core.training.batching import collate_clips, rgb_network_input, tir_network_input
from tpmri_core.commands.train import SMOKE
from tpmri_core.training.clips import (
    LOOSE_MAX_FACTOR,
    PART_MIN_FRACTION,
    JitterConfig,
    LabelledFrame,
    RawClip,
    crop_clip,
    loose_box,
    part_of_target,
)
from tpmri_core.training.config import TrainConfig
from tpmri_core.training.losses import alpha_supervision_loss, focal_loss, tracking_loss
from tpmri_core.training.targets import center_cells, gaussian_center_map
from tpmri_live.tpmri_command import main


def _smoke_config(**overrides) -> TrainConfig:
    """The --smoke settings (small scenes, tiny batches) with the given fields replaced."""
    return TrainConfig(**{**SMOKE, **overrides})


def test_gaussian_map_peaks_at_the_centre_cell():
    boxes = torch.tensor([[0.52, 0.27, 0.2, 0.1], [0.05, 0.95, 0.05, 0.05]])
    maps = gaussian_center_map(boxes, (12, 12))
    col, row = center_cells(boxes, (12, 12))
    for index in range(2):
        assert maps[index, 0, row[index], col[index]] == 1.0
        assert (maps[index] == 1.0).sum() == 1
    assert (col.tolist(), row.tolist()) == ([6, 0], [3, 11])


def _perfect_maps(target: torch.Tensor, size: int = 12) -> HeadMaps:
    col, row = center_cells(target, (size, size))
    logits = torch.full((1, 1, size, size), -12.0)
    logits[0, 0, row[0], col[0]] = 12.0
    offset = torch.zeros(1, 2, size, size)
    offset[0, 0, row[0], col[0]] = target[0, 0] * size - col[0]
    offset[0, 1, row[0], col[0]] = target[0, 1] * size - row[0]
    box_size = target[0, 2:].view(1, 2, 1, 1).expand(1, 2, size, size).clone()
    return HeadMaps(score_logits=logits, size=box_size, offset=offset)


def test_tracking_loss_is_near_zero_for_a_perfect_prediction_and_larger_otherwise():
    target = torch.tensor([[0.4, 0.6, 0.25, 0.3]])
    perfect = tracking_loss(_perfect_maps(target), target)
    assert perfect.giou.item() == pytest.approx(0.0, abs=1e-5)
    assert perfect.l1.item() == pytest.approx(0.0, abs=1e-5)
    wrong = tracking_loss(_perfect_maps(torch.tensor([[0.8, 0.1, 0.1, 0.1]])), target)
    assert wrong.total > perfect.total + 1.0
    assert focal_loss(torch.zeros(1, 1, 12, 12), gaussian_center_map(target, (12, 12))) > perfect.focal


def test_alpha_supervision_pushes_away_from_the_broken_modality():
    alpha = torch.tensor([[0.9, 0.9], [0.1, 0.1]])
    rgb_broken = torch.tensor([True, False])
    tir_broken = torch.tensor([False, True])
    wrong_way = alpha_supervision_loss(alpha, rgb_broken, tir_broken)
    right_way = alpha_supervision_loss(1 - alpha, rgb_broken, tir_broken)
    assert right_way < 0.2 < wrong_way


def test_alpha_supervision_asks_for_no_preference_when_both_modalities_work():
    neither = torch.zeros(2, dtype=torch.bool)
    assert alpha_supervision_loss(torch.full((2, 3), 0.5), neither, neither).item() == pytest.approx(0.0, abs=1e-6)
    assert alpha_supervision_loss(torch.full((2, 3), 0.2), neither, neither) > 0.1


def test_alpha_supervision_weighs_each_kind_of_frame_equally():
    """Two RGB failures, one thermal failure, one clean frame: a constant alpha leaning thermal scores worse
    than one that reads the frames."""
    rgb_broken = torch.tensor([True, True, False, False])
    tir_broken = torch.tensor([False, False, True, False])
    reading = torch.tensor([[0.1, 0.1], [0.1, 0.1], [0.9, 0.9], [0.5, 0.5]])
    leaning_thermal = torch.full((4, 2), 0.25)
    assert alpha_supervision_loss(reading, rgb_broken, tir_broken) < 0.1
    assert alpha_supervision_loss(leaning_thermal, rgb_broken, tir_broken) > 0.4


def test_crop_clip_targets_point_at_the_true_box():
    rng = np.random.default_rng(0)
    frames = []
    for index in range(4):
        rgb = np.zeros((200, 300, 3), np.uint8)
        x, y = 100 + 10 * index, 80 + 3 * index
        rgb[y : y + 30, x : x + 20] = 255
        frames.append(LabelledFrame(rgb, rgb[..., 0].copy(), (x, y, 20, 30)))
    clip = crop_clip(RawClip(frames[0], frames[1], tuple(frames[2:])), 64, 128, JitterConfig(), rng)
    assert clip.search_rgb.shape == (2, 128, 128, 3) and clip.template_rgb.shape == (64, 64, 3)
    for t in range(2):
        cx, cy, w, h = clip.targets_cxcywh[t] * 128
        mask = clip.search_rgb[t, ..., 0] > 127
        ys, xs = np.nonzero(mask)
        assert abs(xs.mean() + 0.5 - cx) < 1.5 and abs(ys.mean() + 0.5 - cy) < 1.5
        assert abs((xs.max() - xs.min() + 1) - w) < 2.5


def test_batches_stay_uint8_and_normalise_on_the_device_exactly_as_the_tracker_does():
    rng = np.random.default_rng(4)
    frames = [LabelledFrame(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), rng.integers(0, 256, (120, 160), dtype=np.uint8),
                            (60.0, 40.0, 20.0, 30.0)) for _ in range(3)]
    clips = [crop_clip(RawClip(frames[0], frames[0], tuple(frames[1:])), 32, 64, JitterConfig(), rng) for _ in range(2)]
    batch = collate_clips(clips)
    assert batch.search_rgb.dtype == torch.uint8 and batch.search_rgb.shape == (2, 2, 64, 64, 3)
    assert batch.search_tir.shape == (2, 2, 64, 64) and batch.targets_cxcywh.shape == (2, 2, 4)
    for t in range(2):
        for b in range(2):
            np.testing.assert_array_equal(batch.search_rgb[t, b].numpy(), clips[b].search_rgb[t])
    torch.testing.assert_close(rgb_network_input(batch.search_rgb[1])[0], rgb_to_tensor(clips[0].search_rgb[1])[0])
    torch.testing.assert_close(tir_network_input(batch.template_tir)[1], tir_to_tensor(clips[1].template_tir)[0])


def test_smoke_training_runs_writes_loadable_weights_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--smoke", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert all(np.isfinite(float(r["loss"])) for r in rows)
    loaded = load_checkpoint(out / "model.safetensors")
    assert loaded.variant == "tpmri-tiny" and loaded.metadata["trained_steps"] == "3"
    assert main(["train", "--smoke", "--steps", "5", "--out", str(out), "--resume"]) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]
    assert "note: resuming with settings that differ" in capsys.readouterr().out  # --steps 3 -> 5


def test_resuming_from_an_older_checkpoint_logs_each_step_once(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--smoke", "--steps", "4", "--stop-at-step", "2", "--out", str(out)]) == 0
    with (out / "log.csv").open("a") as handle:  # a step logged after the last checkpoint, then a crash
        handle.write("3,1,1,1,1,1,1,1,1\n")
    assert main(["train", "--smoke", "--steps", "4", "--out", str(out), "--resume"]) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert float(rows[2]["loss"]) != 1.0


def test_weight_average_is_what_gets_exported_and_it_survives_resuming(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--smoke", "--weight-average-decay", "0.5", "--out", str(out)]) == 0
    saved = torch.load(out / "last.pt", weights_only=False)
    average = saved["weight_average"]
    assert int(average["n_averaged"]) == 3
    exported = load_checkpoint(out / "model.safetensors").model.state_dict()
    for name, value in exported.items():
        torch.testing.assert_close(value, average[f"module.{name}"])
    trained = [n for n, v in saved["model"].items() if v.is_floating_point() and not torch.equal(v, exported[n])]
    assert trained, "the exported weights should be the average, not the last step's weights"
    assert main(["train", "--smoke", "--steps", "5", "--weight-average-decay", "0.5", "--out", str(out), "--resume"]) == 0
    assert int(torch.load(out / "last.pt", weights_only=False)["weight_average"]["n_averaged"]) == 5


def test_bad_training_arguments_exit_2_with_one_line(capsys, tmp_path):
    assert main(["train", "--smoke", "--clip-length", "1", "--out", str(tmp_path)]) == 2
    assert main(["train", "--smoke", "--data", "lasher", "--out", str(tmp_path)]) == 2
    assert main(["train", "--smoke", "--pretrained", str(tmp_path / "none.pth"), "--out", str(tmp_path)]) == 2
    assert main(["train", "--smoke", "--weight-average-decay", "1.5", "--out", str(tmp_path)]) == 2
    assert main(["train", "--smoke", "--sensor-failure", "0.7", "--out", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 5 and all(line.startswith("tpmri train: error:") for line in errors)


def test_torchrun_two_processes_train_with_ddp(tmp_path):
    """The same command runs data-parallel under torchrun (gloo on CPU; NCCL on GPUs) without code changes."""
    import subprocess
    import sys

    out = tmp_path / "ddp"
    # torchrun as `python -m torch.distributed.run` of this interpreter: the `torchrun` script on PATH may belong
    # to another Python (e.g. the system's, outside the virtual environment the tests run in).
    completed = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "tpmri_live.tpmri_command", "train", "--smoke", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert load_checkpoint(out / "model.safetensors").metadata["trained_steps"] == "3"


def test_a_sensor_failure_starts_mid_clip_and_marks_only_that_modality_broken():
    from tpmri_core.training.augment import AugmentConfig, augment_clip

    rng = np.random.default_rng(0)
    frames = [LabelledFrame(np.full((120, 160, 3), 120, np.uint8), np.full((120, 160), 120, np.uint8), (60.0, 40.0, 20.0, 30.0))
              for _ in range(5)]
    clip = crop_clip(RawClip(frames[0], frames[0], tuple(frames[1:])), 32, 64, JitterConfig(), rng)
    config = AugmentConfig(flip_probability=0, brightness_range=(1, 1), contrast_range=(1, 1), colour_gain_sigma=0,
                           grey_rgb_probability=0, failure_probability=0.5)
    seen = set()
    for _ in range(200):
        out = augment_clip(clip, rng, config)
        assert not (out.rgb_broken & out.tir_broken).any()
        for broken, images in ((out.rgb_broken, out.search_rgb), (out.tir_broken, out.search_tir)):
            if broken.any():
                onset = int(np.argmax(broken))
                assert broken[onset:].all() and not broken[:onset].any()
                assert np.all(images[:onset] == 120) and np.all(np.abs(images[onset:].astype(int) - 120).mean(axis=tuple(range(1, images.ndim))) > 40)
                seen.add((images is out.search_rgb, onset))
    assert {onset for _, onset in seen} == {0, 1, 2, 3} and {is_rgb for is_rgb, _ in seen} == {True, False}


def test_sensor_failure_sets_how_often_training_clips_lose_a_modality():
    """--sensor-failure reaches the clip stream: at 0.5 every clip loses RGB or TIR part-way (the two are
    exclusive), at 0 only the synthetic scenes' own events break a modality."""
    from itertools import islice

    from tpmri_core.training.trainer import ClipStream

    def broken_share(failure: float) -> float:
        config = _smoke_config(sensor_failure=failure, clip_length=3)
        clips = list(islice(iter(ClipStream(config, 32, 64, rank=0, start_step=0)), 40))
        return float(np.mean([(c.rgb_broken | c.tir_broken).any() for c in clips]))

    assert broken_share(0.5) == 1.0
    assert broken_share(0.0) < 0.8


def _gradient_clip(rng: np.random.Generator):
    """A clip whose frames are a left-to-right ramp, so tone curves and polarity show in the pixel values."""
    ramp = np.tile(np.linspace(10, 245, 160), (120, 1)).astype(np.uint8)
    frames = [LabelledFrame(np.repeat(ramp[..., None], 3, axis=-1), ramp.copy(), (60.0, 40.0, 20.0, 30.0)) for _ in range(4)]
    return crop_clip(RawClip(frames[0], frames[0], tuple(frames[1:])), 32, 64, JitterConfig(scale_sigma=0, center_factor=0), rng)


def test_a_black_hot_sensor_style_inverts_template_and_search_alike():
    from tpmri_core.training.augment import SensorStyle, _styled

    clip = _gradient_clip(np.random.default_rng(0))
    style = SensorStyle(tir_inverted=True)
    rng = np.random.default_rng(1)
    template = _styled(clip.template_tir, False, style.tir_gamma, style.tir_inverted, 0.0, 0.0, rng)
    search = _styled(clip.search_tir, False, style.tir_gamma, style.tir_inverted, 0.0, 0.0, rng)
    assert np.abs(template.astype(int) - (255 - clip.template_tir.astype(int))).max() <= 1
    assert np.abs(search.astype(int) - (255 - clip.search_tir.astype(int))).max() <= 1
    blurred = _styled(clip.search_rgb, True, 1.0, False, 2.0, 0.0, rng)
    assert blurred.shape == clip.search_rgb.shape
    assert np.abs(np.diff(blurred.astype(int), axis=2)).max() <= np.abs(np.diff(clip.search_rgb.astype(int), axis=2)).max()


def test_sensor_style_changes_both_crops_of_a_clip_and_is_off_by_default():
    from tpmri_core.training.augment import AugmentConfig, augment_clip

    neutral = dict(flip_probability=0, brightness_range=(1, 1), contrast_range=(1, 1), colour_gain_sigma=0,
                   grey_rgb_probability=0, failure_probability=0)
    clip = _gradient_clip(np.random.default_rng(0))
    plain = augment_clip(clip, np.random.default_rng(2), AugmentConfig(**neutral))
    assert np.array_equal(plain.template_tir, clip.template_tir) and np.array_equal(plain.search_tir, clip.search_tir)
    changed = 0
    for seed in range(20):
        styled = augment_clip(clip, np.random.default_rng(seed), AugmentConfig(**neutral, sensor_style_probability=1.0))
        template_moved = np.abs(styled.template_tir.astype(int) - clip.template_tir).mean()
        search_moved = np.abs(styled.search_tir.astype(int) - clip.search_tir).mean()
        changed += template_moved > 1 and search_moved > 1
    assert changed >= 15
    with pytest.raises(ValueError, match="sensor_style"):
        _smoke_config(sensor_style=1.5)


def test_precision_bf16_autocasts_on_cpu_only_when_asked(tmp_path):
    from tpmri_core.training.trainer import _autocast

    layer, x = torch.nn.Linear(4, 4), torch.randn(2, 4)
    with _autocast(torch.device("cpu"), "auto"):
        assert layer(x).dtype == torch.float32
    with _autocast(torch.device("cpu"), "bf16"):
        assert layer(x).dtype == torch.bfloat16
    out = tmp_path / "run"
    assert main(["train", "--smoke", "--precision", "bf16", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert len(rows) == 3 and all(np.isfinite(float(r["loss"])) for r in rows)
    assert load_checkpoint(out / "model.safetensors").model.blocks[0].attn.qkv.weight.dtype == torch.float32


def test_the_synthetic_pool_at_a_clip_follows_from_the_clip_index_alone():
    """Jumping straight to a clip (as a resumed run does) holds the same scenes as drawing every clip before it,
    and each refresh replaces the oldest scene."""
    from tpmri_core.training.sources import SyntheticClipSource

    def source() -> SyntheticClipSource:
        return SyntheticClipSource(seed=3, pool_size=3, sequence_frames=4, refresh_every=2, width=96, height=64)

    walked = source()
    for clip in range(11):
        walked.seek(clip)
    jumped = source()
    jumped.seek(10)
    assert walked.sequences_at(0) == [0, 1, 2]
    assert walked.sequences_at(2) == [3, 1, 2]
    assert walked.sequences_at(10) == [6, 7, 5]
    for draw in range(8):
        clip_a, clip_b = walked.sample(2, np.random.default_rng(draw)), jumped.sample(2, np.random.default_rng(draw))
        np.testing.assert_array_equal(clip_a.search[-1].tir, clip_b.search[-1].tir)
        np.testing.assert_array_equal(clip_a.template.rgb, clip_b.template.rgb)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_run_stopped_and_resumed_ends_with_the_weights_of_one_that_never_stopped(tmp_path, workers):
    from tpmri_core.training.trainer import train

    def config(name: str) -> TrainConfig:
        return _smoke_config(steps=5, synth_refresh_every=3, weight_average_decay=0.5, device="cpu",
                             workers=workers, out_dir=str(tmp_path / name))

    train(config("straight"), show_progress=False)
    train(config("stopped"), show_progress=False, stop_at_step=2)
    stopped = torch.load(tmp_path / "stopped" / "last.pt", weights_only=False)
    assert stopped["step"] == 2
    train(config("stopped"), resume=True, show_progress=False)
    straight = torch.load(tmp_path / "straight" / "last.pt", weights_only=False)
    resumed = torch.load(tmp_path / "stopped" / "last.pt", weights_only=False)
    assert resumed["step"] == straight["step"] == 5
    for part in ("model", "weight_average"):
        for name, value in straight[part].items():
            torch.testing.assert_close(resumed[part][name], value, rtol=0, atol=0, msg=f"{part}.{name}")
    moved = [n for n, v in stopped["model"].items() if v.is_floating_point() and not torch.equal(v, straight["model"][n])]
    assert moved, "steps 3 to 5 should have changed the weights"


def test_a_resumed_run_logs_the_mean_of_the_steps_it_made_not_a_fraction_of_it(tmp_path):
    from tpmri_core.training.trainer import train

    def losses(name: str) -> dict[int, float]:
        rows = csv.DictReader((tmp_path / name / "log.csv").open())
        return {int(r["step"]): float(r["loss"]) for r in rows}

    train(_smoke_config(steps=4, log_every=1, device="cpu", out_dir=str(tmp_path / "every")), show_progress=False)
    resumed = _smoke_config(steps=4, log_every=2, device="cpu", out_dir=str(tmp_path / "pairs"))
    train(resumed, show_progress=False, stop_at_step=3)  # logs step 2 (mean of 1-2), checkpoints at 3
    train(resumed, resume=True, show_progress=False)  # step 4's window holds step 4 alone
    every, pairs = losses("every"), losses("pairs")
    assert pairs[2] == pytest.approx((every[1] + every[2]) / 2, rel=1e-3)
    assert pairs[4] == pytest.approx(every[4], rel=1e-3)


def test_part_targets_box_the_same_part_of_the_target_in_every_frame():
    image, tir = np.zeros((120, 160, 3), np.uint8), np.zeros((120, 160), np.uint8)
    boxes = [(20.0, 30.0, 40.0, 60.0), (30.0, 32.0, 44.0, 66.0), (40.0, 34.0, 48.0, 72.0), (50.0, 36.0, 52.0, 78.0)]
    frames = [LabelledFrame(image, tir, box) for box in boxes]
    clip = RawClip(frames[0], frames[1], tuple(frames[2:]))
    for seed in range(20):
        part = part_of_target(clip, np.random.default_rng(seed))
        fractions = set()
        for whole, cut in zip([clip.template, clip.previous, *clip.search], [part.template, part.previous, *part.search]):
            (x, y, w, h), (px, py, pw, ph) = whole.box_xywh, cut.box_xywh
            assert x <= px and y <= py and px + pw <= x + w + 1e-9 and py + ph <= y + h + 1e-9
            assert pw >= PART_MIN_FRACTION * w - 1e-9 and ph >= PART_MIN_FRACTION * h - 1e-9
            fractions.add(tuple(round(v, 9) for v in ((px - x) / w, (py - y) / h, pw / w, ph / h)))
        assert len(fractions) == 1  # the same part of the target throughout the clip
    assert part.template.box_xywh != clip.template.box_xywh


def test_tiny_targets_stay_whole_and_part_targets_are_off_by_default():
    image, tir = np.zeros((60, 80, 3), np.uint8), np.zeros((60, 80), np.uint8)
    frames = [LabelledFrame(image, tir, (10.0, 10.0, 12.0, 20.0)) for _ in range(3)]
    clip = RawClip(frames[0], frames[1], (frames[2],))
    assert part_of_target(clip, np.random.default_rng(0)) == clip
    assert TrainConfig().part_targets == 0.0
    with pytest.raises(ValueError, match="part_targets"):
        _smoke_config(part_targets=1.5)


def test_loose_boxes_hold_the_target_with_the_same_margins_in_every_frame():
    image, tir = np.zeros((120, 160, 3), np.uint8), np.zeros((120, 160), np.uint8)
    boxes = [(20.0, 30.0, 40.0, 60.0), (30.0, 32.0, 44.0, 66.0), (40.0, 34.0, 48.0, 72.0), (50.0, 36.0, 52.0, 78.0)]
    frames = [LabelledFrame(image, tir, box) for box in boxes]
    clip = RawClip(frames[0], frames[1], tuple(frames[2:]))
    grew = False
    for seed in range(20):
        loose = loose_box(clip, np.random.default_rng(seed))
        margins = set()
        for tight, wide in zip([clip.template, clip.previous, *clip.search], [loose.template, loose.previous, *loose.search]):
            (x, y, w, h), (lx, ly, lw, lh) = tight.box_xywh, wide.box_xywh
            assert lx <= x + 1e-9 and ly <= y + 1e-9 and x + w <= lx + lw + 1e-9 and y + h <= ly + lh + 1e-9
            assert lw <= LOOSE_MAX_FACTOR * w + 1e-9 and lh <= LOOSE_MAX_FACTOR * h + 1e-9
            margins.add(tuple(round(v, 9) for v in ((x - lx) / w, (y - ly) / h, lw / w, lh / h)))
            grew = grew or lw * lh > 1.2 * w * h
        assert len(margins) == 1  # the same margins around the target throughout the clip
    assert grew
    assert TrainConfig().loose_boxes == 0.0
    with pytest.raises(ValueError, match="loose_boxes"):
        _smoke_config(loose_boxes=-0.1)
