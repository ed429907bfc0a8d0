"""The synthetic RGB-T scene as a pair source: the demo without cameras, and test input.

Wraps `tpmri_core.data.synth.generate_sequence` (a warm moving target with darkness, crossover and
other events). For an endless demo, sequences are chained (seed, seed + 1, ...); the first pair of each
carries the event 'sequence_start' so the window can re-initialise the tracker on the new target from
`box_xywh_rgb_truth`. Both images share the RGB grid (up to the generator's small residual
misregistration), so the feed needs no calibration. Pairs are timed index / fps; the feed paces them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tpmri_core.data.synth import SynthConfig, SynthFrame, generate_sequence
from tpmri_core.data.synth.photos import preload_photos
from tpmri_live.capture.source import PairSource
from tpmri_live.capture.timed_frames import FramePair, TimedFrame

SEQUENCE_START_EVENT = "sequence_start"


class SyntheticPairSource(PairSource):
    """Synthetic pairs at `fps`, endless by default.

    Args:
        seed: seed of the first sequence; later ones use seed + 1, seed + 2, ...
        fps: frame rate the pairs are timed at.
        frames_per_sequence: length of each chained sequence.
        num_frames: total pairs before the source ends; None for endless.
        config: the generator's settings (size, scenario, ...); its defaults otherwise.
        generate: the sequence generator, `generate(seed, num_frames, config)` (tests inject a fake).
    """

    def __init__(
        self,
        seed: int = 0,
        fps: float = 25.0,
        frames_per_sequence: int = 600,
        num_frames: int | None = None,
        config: SynthConfig | None = None,
        generate: Callable[[int, int, SynthConfig | None], Iterator[SynthFrame]] = generate_sequence,
    ) -> None:
        if fps <= 0 or frames_per_sequence <= 0:
            raise ValueError(f"fps and frames_per_sequence must be positive, got {fps}, {frames_per_sequence}")
        self.seed = seed
        self.nominal_fps = fps
        self.frames_per_sequence = frames_per_sequence
        self.num_frames = num_frames
        self.config = config
        self._generate = generate
        if generate is generate_sequence:
            preload_photos()  # on the constructing (main) thread; see preload_photos
        self.name = f"synthetic scene (seed {seed})"
        self._frames: Iterator[SynthFrame] | None = None
        self._index = 0
        self._sequence = 0

    def open(self) -> None:
        self._index = 0
        self._sequence = 0
        self._frames = None

    def read(self) -> FramePair | None:
        if self.num_frames is not None and self._index >= self.num_frames:
            return None
        events: frozenset[str] = frozenset()
        synth = next(self._frames, None) if self._frames is not None else None
        if synth is None:
            self._frames = self._generate(self.seed + self._sequence, self.frames_per_sequence, self.config)
            self._sequence += 1
            synth = next(self._frames, None)
            if synth is None:
                return None
            events = frozenset({SEQUENCE_START_EVENT})
        index = self._index
        self._index += 1
        t_s = index / self.nominal_fps
        return FramePair(
            rgb=TimedFrame(synth.rgb, t_s, index),
            tir=TimedFrame(synth.tir, t_s, index, synth.tir_raw),
            index=index,
            box_xywh_rgb_truth=tuple(float(v) for v in synth.box_xywh_rgb),  # type: ignore[arg-type]
            events=synth.events | events,
        )

    def close(self) -> None:
        self._frames = None
