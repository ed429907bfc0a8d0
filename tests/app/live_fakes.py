"""Test doubles for the live application: pairs with a known target, a fake tracker, hand-fed and stalling sources.

Shared by tests/app/test_worker*.py, test_window*.py and test_main*.py.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from tpmri_core.frames import RGBTFrame
from tpmri_core.tracking.result import StepTimings, TrackResult
from tpmri_live.capture.capture_thread import CaptureState, CaptureStatus
from tpmri_live.capture.feeds import FeedStatus
from tpmri_live.capture.latest_slot import LatestPairSlot
from tpmri_live.capture.recording import RecordingTap
from tpmri_live.capture.registrar import FrameRegistrar
from tpmri_live.capture.source import FrameSource, PairSource
from tpmri_live.capture.timed_frames import FramePair, TimedFrame

SIZE_WH = (160, 120)
TARGET_SIDE = 20


def target_box_at(index: int, size_wh: tuple[int, int] = SIZE_WH) -> tuple[float, float, float, float]:
    """Where the bright square of pair `index` is (it drifts right, one pixel a frame)."""
    x = 30 + (index % max(1, size_wh[0] - 60))
    return float(x), 40.0, float(TARGET_SIDE), float(TARGET_SIDE)


def make_pair(
    index: int,
    t_s: float | None = None,
    size_wh: tuple[int, int] = SIZE_WH,
    truth: bool = False,
    events: frozenset[str] = frozenset(),
    tir_size_wh: tuple[int, int] | None = None,
) -> FramePair:
    """A pair with a bright square (the target) on a dark gradient; thermal optionally at another resolution."""
    width, height = size_wh
    t_s = index / 30.0 if t_s is None else t_s
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:] = np.linspace(20, 90, width, dtype=np.uint8)[None, :, None]
    x, y, w, h = (int(v) for v in target_box_at(index, size_wh))
    rgb[y:y + h, x:x + w] = (230, 200, 40)
    tir_w, tir_h = tir_size_wh or size_wh
    tir = np.full((tir_h, tir_w), 30, np.uint8)
    sx, sy = tir_w / width, tir_h / height
    tir[int(y * sy):int((y + h) * sy), int(x * sx):int((x + w) * sx)] = 220
    return FramePair(
        rgb=TimedFrame(rgb, t_s, index),
        tir=TimedFrame(tir, t_s, index),
        index=index,
        box_xywh_rgb_truth=target_box_at(index, size_wh) if truth else None,
        events=events,
    )


class FakeTracker:
    """Moves the box one pixel right per step; alpha swings with the frame index; optional slowness.

    Records what it was asked (initialisations, tracked frame indices) for the tests to check.
    """

    def __init__(self, step_s: float = 0.0, layers: int = 3, fail_on_index: int | None = None) -> None:
        self.step_s = step_s
        self.layers = layers
        self.fail_on_index = fail_on_index
        self.initialized: list[tuple[int, tuple[float, float, float, float]]] = []
        self.tracked: list[int] = []
        self._box: tuple[float, float, float, float] | None = None
        self.thread_ids: set[int] = set()
        self.framed: list[bool] = []  # each initialize's `framed`

    def initialize(self, frame: RGBTFrame, box_xywh: tuple[float, float, float, float], framed: bool = True) -> None:
        self.thread_ids.add(threading.get_ident())
        self.framed.append(framed)
        x, y, w, h = box_xywh
        width, height = frame.size_wh
        if w <= 0 or h <= 0 or x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise ValueError(f"initial box {tuple(box_xywh)} lies outside the {width}x{height} image")
        self._box = (float(x), float(y), float(w), float(h))
        self.initialized.append((frame.index, self._box))

    def track(self, frame: RGBTFrame) -> TrackResult:
        self.thread_ids.add(threading.get_ident())
        if self._box is None:
            raise RuntimeError("track before initialize")
        if self.fail_on_index is not None and frame.index == self.fail_on_index:
            raise RuntimeError("simulated failure")
        if self.step_s:
            time.sleep(self.step_s)
        x, y, w, h = self._box
        self._box = (x + 1.0, y, w, h)
        self.tracked.append(frame.index)
        alpha = 0.5 + 0.4 * math.sin(frame.index / 5.0)
        return TrackResult(
            box_xywh=self._box,
            score=0.8,
            alpha_mean=alpha,
            alpha_per_layer=tuple(alpha for _ in range(self.layers)),
            lost=False,
            timings=StepTimings(model_ms=self.step_s * 1e3),
        )


def _status(name: str, state: CaptureState, frames: int) -> CaptureStatus:
    return CaptureStatus(name=name, state=state, frames=frames, fps=0.0, reconnects=0, last_error="", t_last_frame=None)


class ManualFeed:
    """A PairFeed the test feeds by hand (`publish`); the newest published pair wins, as in capture."""

    def __init__(self, registrar: FrameRegistrar | None = None) -> None:
        self.name = "manual feed"
        self.registrar = registrar or FrameRegistrar()
        self.recording = RecordingTap()
        self.slot = LatestPairSlot()
        self.state = CaptureState.LIVE
        self.ended = False
        self.closed = False

    def start(self) -> None:
        pass

    def publish(self, pair: FramePair) -> None:
        self.slot.publish(pair)

    def wait_latest(self, timeout_s: float = 0.1):
        pair = self.slot.take(timeout_s)
        return None if pair is None else self.registrar.register(pair)

    def status(self) -> FeedStatus:
        frames = self.slot.published
        return FeedStatus(
            rgb=_status("manual (rgb)", self.state, frames),
            tir=_status("manual (tir)", self.state, frames),
            pairs=frames,
            dropped=0,
            skipped=self.slot.skipped,
            max_skew_s=None,
            last_skew_s=None,
            ended=self.ended,
        )

    def close(self, timeout_s: float = 1.0) -> bool:
        self.closed = True
        self.slot.close()
        return True


class ListPairSource(PairSource):
    """Recorded pairs from a factory, `count` of them (None: endless); counts opens and reads.

    Args:
        count: pairs before the end.
        make: builds pair i.
        seekable: expose `seek(index)` (random access) or not (the feed then reopens and reads forward).
        fps: recorded rate (pair i is stamped i / fps).
    """

    def __init__(
        self,
        count: int | None = 50,
        make: Callable[[int], FramePair] | None = None,
        seekable: bool = False,
        fps: float = 30.0,
    ) -> None:
        self.count = count
        self.nominal_fps = fps
        self.name = "list source"
        self._make = make or (lambda i: make_pair(i, i / fps, truth=True))
        self._next = 0
        self.opens = 0
        self.reads = 0
        self.closed = False
        if seekable:
            self.seek = self._seek  # type: ignore[method-assign]

    def __len__(self) -> int:
        if self.count is None:
            raise TypeError("endless")
        return self.count

    def open(self) -> None:
        self.opens += 1
        self._next = 0
        self.closed = False

    def read(self) -> FramePair | None:
        if self.count is not None and self._next >= self.count:
            return None
        self.reads += 1
        pair = self._make(self._next)
        self._next += 1
        return pair

    def _seek(self, index: int) -> None:
        self._next = index

    def close(self) -> None:
        self.closed = True


class StallingPairSource(ListPairSource):
    """Delivers `good` pairs, then blocks in `read()` (a frozen camera) until `release()` or close."""

    def __init__(self, good: int = 5, fps: float = 30.0) -> None:
        super().__init__(count=None, fps=fps)
        self.good = good
        self.stalled = threading.Event()
        self._release = threading.Event()

    def read(self) -> FramePair | None:
        if self._next >= self.good:
            self.stalled.set()
            while not self._release.wait(0.05):
                pass
            if self.closed:
                return None
        return super().read()

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        super().close()
        self._release.set()


class GappyCamera(FrameSource):
    """A live camera delivering the target pair's `modality` every `period_s`, silent for `gap_s` after frame
    `gap_at` (unplugged and plugged back in: no error, just no frames), then delivering again."""

    is_live = True

    def __init__(self, modality: str, period_s: float = 1 / 30, gap_at: int | None = None, gap_s: float = 0.0) -> None:
        self.modality = modality
        self.name = f"fake {modality} camera"
        self.nominal_fps = 1.0 / period_s
        self.period_s = period_s
        self.gap_at = gap_at
        self.gap_s = gap_s
        self.index = 0
        self.in_gap = threading.Event()
        self.resumed = threading.Event()
        self._closed = threading.Event()

    def open(self) -> None:
        self._closed.clear()

    def read(self) -> TimedFrame | None:
        if self._closed.wait(self.period_s):
            return None
        if self.gap_at is not None and self.index == self.gap_at and not self.resumed.is_set():
            self.in_gap.set()
            if self._closed.wait(self.gap_s):
                return None
            self.resumed.set()
            self.index += int(round(self.gap_s / self.period_s))  # the scene went on meanwhile
        pair = make_pair(self.index)
        self.index += 1
        frame = pair.rgb if self.modality == "rgb" else pair.tir
        return TimedFrame(frame.image, time.monotonic(), frame.index)

    def close(self) -> None:
        self._closed.set()


class TemplateMatchTracker:
    """A tiny real tracker for the tests: normalised cross-correlation of the first frame's patch (RGB grey
    and thermal averaged) in a search region; it takes `search` regions and `restore_box` as
    `ReacquiringTracker` needs, so target loss and re-acquisition can be tested without the model.

    Args:
        search_factor: as Tracker's, the side of its search region as a multiple of sqrt(w * h) of the box
            (smaller than the model's 4: matching needs no context); the wider search scales from it.
    """

    def __init__(self, search_factor: float = 2.5) -> None:
        self.search_factor = search_factor
        self._templates: tuple[np.ndarray, np.ndarray] | None = None
        self._box: np.ndarray | None = None

    @property
    def box_xywh(self) -> np.ndarray | None:
        return None if self._box is None else self._box.copy()

    def initialize(self, frame: RGBTFrame, box_xywh, framed: bool = True) -> None:
        x, y, w, h = (int(round(v)) for v in box_xywh)
        grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
        self._templates = (grey[y:y + h, x:x + w].copy(), frame.tir[y:y + h, x:x + w].copy())
        self._box = np.array([x, y, w, h], dtype=np.float64)

    def restore_box(self, box_xywh) -> None:
        self._box = np.asarray(box_xywh, dtype=np.float64).copy()

    def track(self, frame: RGBTFrame, search=None) -> TrackResult:
        assert self._templates is not None and self._box is not None
        x, y, w, h = self._box
        if search is None:
            centre_x, centre_y, side = x + w / 2, y + h / 2, math.sqrt(w * h) * self.search_factor
        else:
            centre_x, centre_y, side = search.center_x, search.center_y, search.side_px
        height, width = frame.tir.shape
        left, top = int(max(0, centre_x - side / 2)), int(max(0, centre_y - side / 2))
        right, bottom = int(min(width, centre_x + side / 2)), int(min(height, centre_y + side / 2))
        template_grey, template_tir = self._templates
        th, tw = template_grey.shape
        if right - left < tw or bottom - top < th:
            return TrackResult(box_xywh=tuple(self._box), score=0.0, alpha_mean=0.5)
        grey = cv2.cvtColor(frame.rgb[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
        maps = cv2.matchTemplate(grey, template_grey, cv2.TM_CCOEFF_NORMED) + cv2.matchTemplate(
            frame.tir[top:bottom, left:right], template_tir, cv2.TM_CCOEFF_NORMED
        )
        _, peak, _, (px, py) = cv2.minMaxLoc(maps / 2)
        self._box = np.array([left + px, top + py, tw, th], dtype=np.float64)
        return TrackResult(box_xywh=tuple(float(v) for v in self._box), score=float(np.clip(peak, 0.0, 1.0)), alpha_mean=0.5)
