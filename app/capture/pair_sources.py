"""Pair sources built from two recorded single streams: matched by frame number, or by timestamp.

`IndexedPairSource` pairs frame k with frame k: right for recordings (which store pairs) and for
datasets (whose frames are aligned). If one stream is longer, the pairs go on with it alone after the
shorter one ends (single-stream pairs, the ended stream marked down, see `dead_stream`) and a warning
names both counts. `MergedPairSource` pairs two independently recorded files (two videos at
different rates) by timestamp with the same rule as live cameras, and past the end of one goes on with
the other alone in the same way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence

from tpmri_live.capture.dead_stream import single_stream_pair
from tpmri_live.capture.pairing import FramePairer, Modality, timestamp_order
from tpmri_live.capture.source import FrameSource, PairSource
from tpmri_live.capture.timed_frames import FramePair, TimedFrame

_LOG = logging.getLogger(__name__)
_STREAM_WORDS = {"rgb": "RGB", "tir": "thermal"}


class IndexedPairSource(PairSource):
    """Frame k of `rgb` with frame k of `tir`; past the end of the shorter stream, the longer one alone.

    Args:
        rgb, tir: recorded FrameSources.
        boxes_xywh_rgb_truth: optional true target box per frame (NaN rows or None entries: unknown).
        name: how messages name the source.
    """

    def __init__(
        self,
        rgb: FrameSource,
        tir: FrameSource,
        boxes_xywh_rgb_truth: Sequence[Sequence[float] | None] | None = None,
        name: str | None = None,
    ) -> None:
        self.rgb = rgb
        self.tir = tir
        self.name = name or f"{rgb.name} + {tir.name}"
        self.nominal_fps = rgb.nominal_fps
        self._truth = boxes_xywh_rgb_truth
        self._index = 0
        self.truncated = False
        self._shapes: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        counts = (_length(self.rgb), _length(self.tir))
        if None in counts:
            raise TypeError("a stream cannot tell its length")
        return max(counts)  # type: ignore[type-var]

    def open(self) -> None:
        _open_both(self.rgb, self.tir)
        self._index = 0
        counts = (_length(self.rgb), _length(self.tir))
        if None not in counts and counts[0] != counts[1]:
            self.truncated = True
            shorter = "thermal" if counts[1] < counts[0] else "RGB"  # type: ignore[operator]
            _LOG.warning(
                "%s: %d RGB frames but %d thermal frames; after frame %d the %s stream is down and tracking goes on without it",
                self.name, counts[0], counts[1], min(counts), shorter,  # type: ignore[type-var]
            )

    def read(self) -> FramePair | None:
        rgb, tir = self.rgb.read(), self.tir.read()
        index = self._index
        if rgb is None and tir is None:
            return None
        if rgb is None or tir is None:
            if not self.truncated:
                self.truncated = True
                ended = "RGB" if rgb is None else "thermal"
                _LOG.warning("%s: the %s stream ended at frame %d; going on with the other alone", self.name, ended, index)
            live, modality = (tir, "tir") if rgb is None else (rgb, "rgb")
            assert live is not None
            other = "rgb" if modality == "tir" else "tir"
            self._index += 1
            dead_shape = _dead_shape(other, self._shapes.get(other), live)
            return single_stream_pair(live, modality, index, dead_shape, box_xywh_rgb_truth=self._truth_at(index))
        self._shapes = {"rgb": rgb.image.shape, "tir": tir.image.shape}
        self._index += 1
        return FramePair(rgb, tir, index, self._truth_at(index))

    def seek(self, index: int) -> None:
        """Make pair `index` the next one read (both streams must support `seek`, as files do)."""
        index = max(0, int(index))
        self.rgb.seek(index)  # type: ignore[attr-defined]
        self.tir.seek(index)  # type: ignore[attr-defined]
        self._index = index

    def _truth_at(self, index: int) -> tuple[float, float, float, float] | None:
        if self._truth is None or index >= len(self._truth) or self._truth[index] is None:
            return None
        box = tuple(float(v) for v in self._truth[index])
        if len(box) != 4 or any(v != v for v in box):  # NaN: target absent or unannotated
            return None
        return box  # type: ignore[return-value]

    def close(self) -> None:
        self.rgb.close()
        self.tir.close()


def _open_both(rgb: FrameSource, tir: FrameSource) -> None:
    """Open both sources, or neither: a thermal source that fails closes the RGB one again."""
    rgb.open()
    try:
        tir.open()
    except BaseException:
        rgb.close()
        raise


def _length(source: FrameSource) -> int | None:
    try:
        return len(source)  # type: ignore[arg-type]
    except TypeError:
        return None


def _dead_shape(modality: str, last_shape: tuple[int, ...] | None, live: TimedFrame) -> tuple[int, ...]:
    """The shape of a dead `modality` frame: that stream's last frame's, else the live frame's size."""
    if last_shape is not None:
        return last_shape
    height, width = live.image.shape[:2]
    return (height, width, 3) if modality == "rgb" else (height, width)


def alone_after_s(t_last_s: float, period_s: float | None, tolerance_s: float) -> float:
    """After a stream's last frame at `t_last_s`, the time past which a frame of the other stream goes alone.

    Never within the pairing tolerance (the last frame could still be its partner), nor while the last frame
    still stands for the scene: until its successor was due, one `period_s` later (less the tolerance, for
    jitter). So two recordings of equal length at different rates end without dead-sensor pairs.
    """
    return t_last_s + max(tolerance_s, (period_s or 0.0) - tolerance_s)


class MergedPairSource(PairSource):
    """Two recorded streams paired by timestamp (keyed on the slower one, skew-checked); past the end of one,
    the other alone.

    Once a stream has ended, each frame of the other later than `alone_after_s` becomes a single-stream pair
    (the ended stream marked down, see `dead_stream`), numbered on from the last pair, and a warning names the
    stream that ended and when. Earlier frames still pair as usual.

    Args:
        rgb, tir: recorded FrameSources with meaningful timestamps.
        max_skew_s: pairing tolerance; None derives it from the rates (see `pairing`).
    """

    def __init__(self, rgb: FrameSource, tir: FrameSource, max_skew_s: float | None = None) -> None:
        self.rgb = rgb
        self.tir = tir
        self.name = f"{rgb.name} + {tir.name}"
        self.max_skew_s = max_skew_s
        self.pairer: FramePairer | None = None
        self.truncated = False
        self._pairs: Iterator[FramePair] | None = None

    def open(self) -> None:
        _open_both(self.rgb, self.tir)
        rates = [fps for fps in (self.rgb.nominal_fps, self.tir.nominal_fps) if fps]
        self.nominal_fps = min(rates) if rates else None
        self.pairer = FramePairer(self.max_skew_s, rgb_fps=self.rgb.nominal_fps, tir_fps=self.tir.nominal_fps)
        self.truncated = False
        self._pairs = self._merged_pairs(self.pairer)

    def _merged_pairs(self, pairer: FramePairer) -> Iterator[FramePair]:
        last: dict[Modality, TimedFrame] = {}
        ended: Modality | None = None
        t_alone_s = math.inf
        alone = 0
        for modality, frame in timestamp_order(iter(self.rgb), iter(self.tir)):
            if frame is None:
                if ended is None:
                    ended = modality
                    t_last_s = last[modality].t_s if modality in last else -math.inf
                    t_alone_s = alone_after_s(t_last_s, pairer.period_s(modality), pairer.tolerance_s())
                continue
            if frame.t_s <= t_alone_s:
                last[modality] = frame
                yield from pairer.push(modality, frame)
                continue
            assert ended is not None
            if not self.truncated:
                self.truncated = True
                self._warn_ended(ended, last.get(ended))
                yield from pairer.flush()  # the last pair the ended stream takes part in
            dead_shape = _dead_shape(ended, last[ended].image.shape if ended in last else None, frame)
            yield single_stream_pair(frame, modality, pairer.stats.pairs + alone, dead_shape)
            alone += 1
        yield from pairer.flush()

    def _warn_ended(self, ended: Modality, last: TimedFrame | None) -> None:
        live = "rgb" if ended == "tir" else "tir"
        when = "had no frames" if last is None else f"ended at {last.t_s:.3f} s (after {last.index + 1} frames)"
        _LOG.warning(
            "%s: the %s stream %s; going on with the %s stream alone", self.name, _STREAM_WORDS[ended], when, _STREAM_WORDS[live]
        )

    def read(self) -> FramePair | None:
        return None if self._pairs is None else next(self._pairs, None)

    def close(self) -> None:
        self._pairs = None
        self.rgb.close()
        self.tir.close()
