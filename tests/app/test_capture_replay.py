"""Recorded sources: recording and replaying it, dataset folders, image folders, videos, the synthetic scene,
and the flags that choose among them."""

from __future__ import annotations

import argparse
import json
import logging
import time

import cv2
import numpy as np
import pytest

from tpmri_core.data.synth import SynthConfig, SynthFrame
from tpmri_core.errors import UserError
from tpmri_live.capture.capture_thread import CaptureState
from tpmri_live.capture.feed_factory import (
    FeedSpec,
    add_capture_arguments,
    feed_spec_from_args,
    open_feed,
    source_from_word,
)
from tpmri_live.capture.feeds import CameraPairFeed, PairSourceFeed
from tpmri_live.capture.file_sources import ImageSequenceSource, VideoFileSource
from tpmri_live.capture.flir_camera import FlirSource
from tpmri_live.capture.opencv_camera import OpenCVCameraSource
from tpmri_live.capture.pair_sources import IndexedPairSource, MergedPairSource
from tpmri_live.capture.realsense_camera import RealSenseColorSource
from tpmri_live.capture.recording import PairRecorder
from tpmri_live.capture.replay import open_replay
from tpmri_live.capture.source import FrameSource
from tpmri_live.capture.synthetic import SEQUENCE_START_EVENT, SyntheticPairSource
from tpmri_live.capture.timed_frames import FramePair, TimedFrame


def fake_generate(seed: int, num_frames: int, config):
    """Stands in for tpmri_core.data.synth.generate_sequence: tiny frames that encode seed and index."""
    for index in range(num_frames):
        rgb = np.full((8, 10, 3), (seed * 16 + index) % 256, np.uint8)
        raw = np.full((8, 10), 30000 + 100 * seed + index, np.uint16)
        raw[0, 0] += 500
        yield SynthFrame(rgb, (raw // 256).astype(np.uint8), raw, (1.0, 2.0, 3.0, 4.0), (1.5, 2.0, 3.0, 4.0),
                         frozenset({"darkness"}) if index == 2 else frozenset(), index)


def test_synthetic_source_chains_sequences_and_marks_their_start() -> None:
    source = SyntheticPairSource(seed=3, fps=10.0, frames_per_sequence=4, num_frames=10, generate=fake_generate)
    source.open()
    pairs = list(source)
    assert len(pairs) == 10
    assert [p.index for p in pairs] == list(range(10))
    assert [SEQUENCE_START_EVENT in p.events for p in pairs] == [k % 4 == 0 for k in range(10)]
    assert "darkness" in pairs[2].events
    assert pairs[5].rgb.t_s == pytest.approx(0.5) and pairs[5].skew_s == 0.0
    assert pairs[4].tir.raw[1, 1] == 30000 + 100 * 4  # second sequence uses seed 4
    assert pairs[0].box_xywh_rgb_truth == (1.0, 2.0, 3.0, 4.0)


def test_real_synthetic_generator_gives_pairs_on_one_grid() -> None:
    source = SyntheticPairSource(seed=1, num_frames=2, config=SynthConfig(width=96, height=64))
    source.open()
    pair = source.read()
    assert pair.rgb.image.shape == (64, 96, 3) and pair.tir.image.shape == (64, 96)
    assert pair.tir.raw is not None and pair.tir.raw.dtype == np.uint16


def test_recording_round_trip_replays_the_same_pairs(tmp_path) -> None:
    source = SyntheticPairSource(fps=20.0, frames_per_sequence=6, num_frames=6, generate=fake_generate)
    source.open()
    skewed = [FramePair(p.rgb, p.tir.shifted(0.004), p.index) for p in source]  # thermal 4 ms late
    recorder = PairRecorder(tmp_path / "rec", rgb_format="png")
    recorder.start()
    for pair in skewed:
        assert recorder.write(pair)
    assert recorder.close().written == 6

    replay = open_replay(tmp_path / "rec")
    replay.open()
    replayed = list(replay)
    assert len(replayed) == 6
    for original, again in zip(skewed, replayed, strict=True):
        np.testing.assert_array_equal(again.rgb.image, original.rgb.image)
        np.testing.assert_array_equal(again.tir.raw, original.tir.raw)  # 16-bit raw survives
        assert again.rgb.t_s == pytest.approx(original.rgb.t_s, abs=1e-6)
        assert again.skew_s == pytest.approx(0.004, abs=1e-6)


def test_recorder_refuses_a_folder_with_files(tmp_path) -> None:
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(UserError, match="already exists and is not empty"):
        PairRecorder(tmp_path).start()


def test_recorder_drops_rather_than_blocks_when_full(tmp_path) -> None:
    recorder = PairRecorder(tmp_path / "rec", queue_size=1)
    frame_rgb, frame_tir = TimedFrame(np.zeros((4, 4, 3), np.uint8), 0.0, 0), TimedFrame(np.zeros((4, 4), np.uint8), 0.0, 0)
    recorder.start()
    started = time.monotonic()
    results = [recorder.write(FramePair(frame_rgb, frame_tir, k)) for k in range(200)]
    assert time.monotonic() - started < 0.5
    stats = recorder.close()
    assert stats.written + stats.dropped == 200 and stats.written == sum(results) >= 1


def write_images(folder, count: int, thermal: bool, start: int = 0) -> None:
    folder.mkdir(parents=True)
    for k in range(start, start + count):
        image = np.full((6, 8), 30000 + k, np.uint16) if thermal else np.full((6, 8, 3), k, np.uint8)
        cv2.imwrite(str(folder / f"{k:05d}.png"), image)


def test_dataset_sequence_replays_with_its_ground_truth(tmp_path) -> None:
    sequence = tmp_path / "walker"
    write_images(sequence / "visible", 5, thermal=False)
    write_images(sequence / "infrared", 5, thermal=True)
    (sequence / "groundtruth.txt").write_text("\n".join(f"{k},{k},4,3" for k in range(5)) + "\n")
    replay = open_replay(sequence, fps=10.0)
    replay.open()
    pairs = list(replay)
    assert len(pairs) == 5 and pairs[3].box_xywh_rgb_truth == (3.0, 3.0, 4.0, 3.0)
    assert pairs[2].rgb.t_s == pytest.approx(0.2) and pairs[2].tir.raw[0, 0] == 30002


def test_dataset_with_unequal_frame_counts_is_a_clear_error(tmp_path) -> None:
    sequence = tmp_path / "walker"
    write_images(sequence / "visible", 5, thermal=False)
    write_images(sequence / "infrared", 4, thermal=True)
    with pytest.raises(UserError, match="5 images in visible/ but 4 in infrared/"):
        open_replay(sequence)


def test_two_image_folders_of_unequal_length_go_on_with_the_longer_alone(tmp_path, caplog) -> None:
    write_images(tmp_path / "rgb", 6, thermal=False)
    write_images(tmp_path / "tir", 4, thermal=True)
    source = IndexedPairSource(ImageSequenceSource.folder(tmp_path / "rgb", "rgb"), ImageSequenceSource.folder(tmp_path / "tir", "tir"))
    with caplog.at_level(logging.WARNING):
        source.open()
    assert "6 RGB frames but 4 thermal frames; after frame 4 the thermal stream is down" in caplog.text
    pairs = list(source)
    assert len(pairs) == 6 and len(source) == 6 and source.truncated
    assert [pair.down for pair in pairs] == [frozenset()] * 4 + [frozenset({"tir"})] * 2
    assert [pair.index for pair in pairs] == list(range(6))
    dead = pairs[-1].tir.image
    assert dead.shape == pairs[0].tir.image.shape and dead.mean() < 40 and dead.std() > 1  # near black, noisy


def write_video(path, fps: float, count: int, colour: bool) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (32, 24), isColor=colour)
    assert writer.isOpened()
    for k in range(count):
        writer.write(np.full((24, 32, 3) if colour else (24, 32), 8 * k % 256, np.uint8))
    writer.release()


def test_two_videos_of_different_rates_pair_by_timestamp(tmp_path, caplog) -> None:
    write_video(tmp_path / "rgb.avi", 30.0, 30, colour=True)
    write_video(tmp_path / "tir.avi", 10.0, 10, colour=True)
    source = MergedPairSource(VideoFileSource(tmp_path / "rgb.avi", "rgb"), VideoFileSource(tmp_path / "tir.avi", "tir"))
    with caplog.at_level(logging.WARNING):
        source.open()
        pairs = list(source)
    assert [(p.rgb.index, p.tir.index) for p in pairs] == [(3 * k, k) for k in range(10)]
    assert pairs[0].tir.image.ndim == 2 and pairs[0].rgb.image.shape == (24, 32, 3)
    # Both last one second: the RGB frames after the last thermal one (0.9 s) are still covered by it.
    assert not source.truncated and all(not p.down for p in pairs) and "ended" not in caplog.text


class RecordedStream(FrameSource):
    """A recorded stream of `count` blank frames of `shape` at `fps`, timed index / fps."""

    def __init__(self, modality: str, fps: float, count: int, shape: tuple[int, ...]) -> None:
        self.modality, self.name, self.nominal_fps = modality, f"{modality}.avi", fps
        self.count, self.shape, self.next_index = count, shape, 0

    def open(self) -> None:
        self.next_index = 0

    def read(self) -> TimedFrame | None:
        if self.next_index >= self.count:
            return None
        index, self.next_index = self.next_index, self.next_index + 1
        return TimedFrame(np.zeros(self.shape, np.uint8), index / self.nominal_fps, index)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("rgb_fps", "rgb_count", "tir_fps", "tir_count", "paired", "ended", "alone", "warning"),
    [
        # thermal 10 fps ends at 0.9 s; RGB at 30 fps goes on alone from 1.0 s, when the next thermal frame was due
        (30.0, 90, 10.0, 10, [(3 * k, k) for k in range(10)], "tir", range(30, 90),
         "the thermal stream ended at 0.900 s (after 10 frames); going on with the RGB stream alone"),
        # RGB 30 fps ends at 0.467 s; thermal at 10 fps goes on alone from 0.5 s
        (30.0, 15, 10.0, 30, [(3 * k, k) for k in range(5)], "rgb", range(5, 30),
         "the RGB stream ended at 0.467 s (after 15 frames); going on with the thermal stream alone"),
        (25.0, 10, 25.0, 20, [(k, k) for k in range(10)], "rgb", range(10, 20),
         "the RGB stream ended at 0.360 s (after 10 frames)"),
    ],
)
def test_merged_streams_go_on_with_the_longer_alone_after_the_shorter_ends(
    caplog, rgb_fps, rgb_count, tir_fps, tir_count, paired, ended, alone, warning
) -> None:
    rgb, tir = RecordedStream("rgb", rgb_fps, rgb_count, (12, 16, 3)), RecordedStream("tir", tir_fps, tir_count, (6, 8))
    source = MergedPairSource(rgb, tir)
    with caplog.at_level(logging.WARNING):
        source.open()
        pairs = list(source)
    assert [(p.rgb.index, p.tir.index) for p in pairs[: len(paired)]] == paired
    assert all(not p.down for p in pairs[: len(paired)])
    tail = pairs[len(paired) :]
    live = "rgb" if ended == "tir" else "tir"
    assert [getattr(p, live).index for p in tail] == list(alone)  # every later frame of the longer stream
    assert all(p.down == {ended} for p in tail) and source.truncated
    assert [p.index for p in pairs] == list(range(len(pairs)))
    dead = getattr(tail[0], ended).image
    assert dead.shape == (rgb.shape if ended == "rgb" else tir.shape) and dead.mean() < 40 and dead.std() > 1
    assert caplog.text.count("stream ended") == 1 and warning in caplog.text


def test_replay_feed_plays_at_the_recorded_rate_and_ends(tmp_path) -> None:
    source = SyntheticPairSource(fps=100.0, frames_per_sequence=20, num_frames=20, generate=fake_generate)
    feed = PairSourceFeed(source, pace="recorded")
    started = time.monotonic()
    feed.start()
    taken = []
    while not feed.status().ended:
        item = feed.wait_latest(timeout_s=0.05)
        if item is not None:
            taken.append(item)
    elapsed = time.monotonic() - started
    assert feed.wait_until_ended(1.0) and elapsed >= 0.18  # 20 pairs at 100 fps
    status = feed.status()
    assert status.pairs == 20 and status.rgb.state is CaptureState.ENDED
    assert len(taken) + status.skipped >= 19
    # Replayed times are on the live clock now, evenly spaced as recorded.
    assert abs(taken[-1].frame.t_rgb - time.monotonic()) < 1.0
    assert feed.close() is True


def test_replay_feed_fast_and_looping_closes_promptly() -> None:
    source = SyntheticPairSource(fps=10.0, frames_per_sequence=3, num_frames=3, generate=fake_generate)
    feed = PairSourceFeed(source, pace="fast", loop=True)
    feed.start()
    time.sleep(0.1)
    assert feed.status().pairs > 3  # it went round more than once
    started = time.monotonic()
    assert feed.close() is True and time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "word, modality, kind",
    [
        ("0", "rgb", OpenCVCameraSource),
        ("/dev/video2", "tir", OpenCVCameraSource),
        ("realsense", "rgb", RealSenseColorSource),
        ("realsense:0123456", "rgb", RealSenseColorSource),
        ("lepton", "tir", FlirSource),
        ("boson:1", "tir", FlirSource),
    ],
)
def test_source_words_name_cameras(word: str, modality: str, kind: type) -> None:
    source = source_from_word(word, modality)
    assert isinstance(source, kind)


def test_source_word_details() -> None:
    camera = source_from_word("2", "tir", FeedSpec(tir_size=(640, 512), tir_format="y16"))
    assert camera.device == 2 and camera.size_wh == (640, 512) and camera.thermal_format == "y16"
    assert source_from_word("realsense:0123456", "rgb").serial == "0123456"
    assert source_from_word("boson:1", "tir").device_index == 1


@pytest.mark.parametrize(
    "word, modality, message",
    [
        ("realsense", "tir", "RealSense is supported as the RGB camera only"),
        ("lepton", "rgb", "FLIR lepton is a thermal camera"),
        ("boson:x", "tir", "must be a video index"),
        ("missing.mp4", "rgb", "not a camera index, /dev/video path"),
    ],
)
def test_bad_source_words_are_one_line_user_errors(word: str, modality: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        source_from_word(word, modality)


def test_feed_choice_from_flags(tmp_path) -> None:
    write_images(tmp_path / "rgb", 3, thermal=False)
    write_images(tmp_path / "tir", 3, thermal=True)
    write_video(tmp_path / "a.avi", 10.0, 3, colour=True)
    parser = argparse.ArgumentParser()
    add_capture_arguments(parser)

    def feed_for(*argv: str):
        return open_feed(feed_spec_from_args(parser.parse_args(list(argv))))

    assert isinstance(feed_for("--demo"), PairSourceFeed)
    assert isinstance(feed_for("--rgb", "0", "--tir", "/dev/video2", "--max-skew-ms", "20"), CameraPairFeed)
    folders = feed_for("--rgb", str(tmp_path / "rgb"), "--tir", str(tmp_path / "tir"))
    assert isinstance(folders, PairSourceFeed) and isinstance(folders.source, IndexedPairSource)
    videos = feed_for("--rgb", str(tmp_path / "a.avi"), "--tir", str(tmp_path / "a.avi"), "--pace", "fast")
    assert isinstance(videos.source, MergedPairSource) and videos.pace == "fast"


@pytest.mark.parametrize(
    "spec, message",
    [
        (FeedSpec(), "no input: give --rgb and --tir, --replay FOLDER, or --demo"),
        (FeedSpec(demo=True, replay="x"), "--demo and --replay cannot be combined"),
        (FeedSpec(rgb="0"), "--tir is missing"),
        (FeedSpec(rgb="0", tir="0", max_skew_ms=-5), "--max-skew-ms must be positive"),
        (FeedSpec(demo=True, calibration="nope.json"), "calibration file nope.json does not exist"),
    ],
)
def test_contradictory_flags_are_one_line_user_errors(spec: FeedSpec, message: str) -> None:
    with pytest.raises(UserError, match=message):
        open_feed(spec)


def test_camera_mixed_with_a_recording_is_refused(tmp_path) -> None:
    write_images(tmp_path / "tir", 2, thermal=True)
    with pytest.raises(UserError, match="one is a camera and one a recording"):
        open_feed(FeedSpec(rgb="0", tir=str(tmp_path / "tir")))


def test_calibration_file_errors_name_the_field(tmp_path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"format": "tpmri-calibration", "version": 1}))
    with pytest.raises(UserError, match="calibration.json: field 'matrix_tir_to_rgb' is missing"):
        open_feed(FeedSpec(demo=True, calibration=str(path)))


def test_feed_registers_thermal_with_the_calibration() -> None:
    from tpmri_calibration.calibration_file import Calibration, now_iso
    from tpmri_live.capture.registrar import FrameRegistrar

    # Thermal at half resolution, shifted right by 4 RGB pixels.
    matrix = np.array([[2.0, 0, 0.5 + 4.0], [0, 2.0, 0.5], [0, 0, 1]])
    calibration = Calibration(matrix, (40, 32), (20, 16), 0.1, "points", 8, now_iso())
    tir = np.zeros((16, 20), np.uint8)
    tir[6:10, 8:12] = 255  # a hot square, centre (9.5, 7.5) in thermal pixels
    pair = FramePair(TimedFrame(np.zeros((32, 40, 3), np.uint8), 1.0, 0), TimedFrame(tir, 1.01, 0), 0)
    item = FrameRegistrar(calibration).register(pair)
    assert item.frame.tir.shape == (32, 40)
    ys, xs = np.nonzero(item.frame.tir > 127)
    assert xs.mean() == pytest.approx(2 * 9.5 + 0.5 + 4.0, abs=0.6) and ys.mean() == pytest.approx(2 * 7.5 + 0.5, abs=0.6)
    assert item.frame.t_tir == 1.01 and item.skew_s == pytest.approx(0.01)


def test_replay_that_falls_behind_restamps_instead_of_bursting() -> None:
    class StallingSource(SyntheticPairSource):
        def read(self):
            if self._index == 3:
                time.sleep(0.3)  # e.g. a new synthetic scene being built
            return super().read()

    source = StallingSource(fps=50.0, frames_per_sequence=6, num_frames=6, generate=fake_generate)
    feed = PairSourceFeed(source, pace="recorded")
    published: list[tuple[float, float]] = []
    original_publish = feed._publish

    def record(pair):
        published.append((time.monotonic(), pair.rgb.t_s))
        original_publish(pair)

    feed._publish = record  # type: ignore[method-assign]
    feed.start()
    assert feed.wait_until_ended(3.0)
    feed.close()
    for wall_s, t_s in published:
        assert abs(wall_s - t_s) < 0.05  # every pair stamped when it was played
    assert published[4][0] - published[3][0] >= 0.015  # after the stall, the recorded pace again


def test_record_flag_records_what_the_feed_plays_and_replays_it(tmp_path, monkeypatch) -> None:
    import tpmri_live.capture.feed_factory as feed_factory

    monkeypatch.setattr(
        feed_factory, "SyntheticPairSource",
        lambda seed, fps: SyntheticPairSource(seed, fps, frames_per_sequence=5, num_frames=5, generate=fake_generate),
    )
    feed = open_feed(FeedSpec(demo=True, fps=200.0, record=str(tmp_path / "rec")))
    feed.start()
    assert feed.wait_until_ended(2.0)
    feed.close()
    replay = open_replay(tmp_path / "rec")
    replay.open()
    assert [pair.tir.raw[1, 1] for pair in replay] == [30000 + k for k in range(5)]


def test_indexed_replay_seeks_to_a_pair(tmp_path) -> None:
    write_images(tmp_path / "rgb", 6, thermal=False)
    write_images(tmp_path / "tir", 6, thermal=True)
    source = IndexedPairSource(ImageSequenceSource.folder(tmp_path / "rgb", "rgb"), ImageSequenceSource.folder(tmp_path / "tir", "tir"))
    source.open()
    source.seek(4)
    pair = source.read()
    assert pair.index == 4 and pair.rgb.index == 4 and pair.tir.raw[0, 0] == 30004
    source.seek(0)
    assert source.read().index == 0


def test_the_demo_source_loads_its_photographs_on_the_thread_that_makes_it() -> None:
    """scikit-image's lazy imports, run first in the capture thread, crashed the demo's Qt start-up."""
    from tpmri_core.data.synth.photos import ALL_PHOTOS, load_photo

    load_photo.cache_clear()
    SyntheticPairSource(seed=3, num_frames=1, generate=lambda seed, n, config: iter(()))
    assert load_photo.cache_info().currsize == 0  # an injected generator needs no photographs
    SyntheticPairSource(seed=3, num_frames=1)
    assert load_photo.cache_info().currsize == len(ALL_PHOTOS)
