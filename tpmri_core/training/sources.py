"""Where training clips come from: synthetic sequences generated in memory, or dataset sequences on disk."""

from __future__ import annotations

from collections.abc import Sequence as SequenceType
from pathlib import Path
from typing import Protocol

import numpy as np

from tpmri_core.data.sequences import Sequence, list_sequences, load_sequence
from tpmri_core.errors import UserError
from tpmri_core.training.clips import LabelledFrame, RawClip, sample_clip_indices


class ClipSource(Protocol):
    name: str

    def seek(self, clip_index: int) -> None:
        """Put the source in the state it has at the clip_index-th clip of its stream (a resumed run starts there)."""
        ...

    def sample(self, clip_length: int, rng: np.random.Generator) -> RawClip: ...


TRAINING_SEED_FLOOR = 2**33  # above every seed `tpmri synth` can use (< 2**32): evaluation scenes never train


class SyntheticClipSource:
    """A rotating pool of generated sequences kept in memory, so training sees an endless stream of new scenes
    without writing anything to disk. Every `refresh_every` clips the oldest sequence makes way for a new one;
    which sequences the pool holds at any clip follows from the clip's index alone, so a run resumed at step k
    trains on the same scenes as one that never stopped.

    Args:
        seed: base seed; sequence k uses TRAINING_SEED_FLOOR + seed * 1_000_003 + k, which no
            `tpmri synth` run (seeds below 2**32) can produce.
        pool_size: sequences held at once.
        sequence_frames: frames per generated sequence.
        refresh_every: clips drawn between two replacements.
        max_gap: largest template-to-search distance in frames.
    """

    name = "synth"

    def __init__(
        self,
        seed: int,
        pool_size: int = 12,
        sequence_frames: int = 80,
        refresh_every: int = 24,
        max_gap: int = 50,
        width: int = 480,
        height: int = 360,
    ) -> None:
        from tpmri_core.data.synth import SynthConfig

        self.config = SynthConfig(width=width, height=height)
        self.seed = seed
        self.pool_size = pool_size
        self.sequence_frames = sequence_frames
        self.refresh_every = refresh_every
        self.max_gap = max_gap
        self._numbers: list[int | None] = [None] * pool_size  # the sequence number each slot holds
        self._frames: list[list[LabelledFrame]] = [[] for _ in range(pool_size)]
        self.seek(0)

    def sequences_at(self, clip_index: int) -> list[int]:
        """The sequence number in each pool slot at a clip: refresh r (after r * refresh_every clips) puts
        sequence pool_size + r - 1 into slot (r - 1) % pool_size, replacing the oldest."""
        last_refresh = clip_index // self.refresh_every - 1  # zero-based; -1 before the first
        numbers = []
        for slot in range(self.pool_size):
            if last_refresh < slot:
                numbers.append(slot)
            else:
                numbers.append(self.pool_size + last_refresh - (last_refresh - slot) % self.pool_size)
        return numbers

    def seek(self, clip_index: int) -> None:
        for slot, number in enumerate(self.sequences_at(clip_index)):
            if self._numbers[slot] != number:
                self._numbers[slot], self._frames[slot] = number, self._generate(number)

    def _generate(self, number: int) -> list[LabelledFrame]:
        from tpmri_core.data.synth import generate_sequence

        seed = TRAINING_SEED_FLOOR + self.seed * 1_000_003 + number
        return [
            LabelledFrame(f.rgb, f.tir, f.box_xywh_rgb, f.events)
            for f in generate_sequence(seed, self.sequence_frames, self.config)
        ]

    def sample(self, clip_length: int, rng: np.random.Generator) -> RawClip:
        frames = self._frames[int(rng.integers(self.pool_size))]
        clean = [i for i, f in enumerate(frames) if not f.events]
        template, previous = sample_clip_indices(len(frames), clip_length, self.max_gap, rng, clean)
        return RawClip(frames[template], frames[previous], tuple(frames[previous + 1 : previous + 1 + clip_length]))


class DatasetClipSource:
    """Clips from the sequences of a dataset root (LasHeR, RGBT234, ... in their published layouts)."""

    def __init__(self, dataset: str, root: Path, split: str | None = None, max_gap: int = 200) -> None:
        self.name = dataset
        names = list_sequences(dataset, root, split)
        if not names:
            raise UserError(f"dataset {dataset} at {root} has no sequences")
        self.sequences: list[Sequence] = [load_sequence(dataset, root, name) for name in names]
        self.max_gap = max_gap

    def seek(self, clip_index: int) -> None:
        """Nothing to do: the sequences are on disk and each clip's generator decides everything."""

    def _labelled(self, sequence: Sequence, index: int) -> LabelledFrame:
        frame = sequence.read_frame(index)
        box = sequence.gt_rgb_xywh[index]
        return LabelledFrame(frame.rgb, frame.tir, tuple(float(v) for v in box))

    def sample(self, clip_length: int, rng: np.random.Generator) -> RawClip:
        for _ in range(100):
            sequence = self.sequences[int(rng.integers(len(self.sequences)))]
            boxes = sequence.gt_rgb_xywh
            if boxes is None or len(sequence) < clip_length + 2:
                continue
            valid = np.all(np.isfinite(boxes), axis=1) & (boxes[:, 2] > 1) & (boxes[:, 3] > 1)
            template, previous = sample_clip_indices(len(sequence), clip_length, self.max_gap, rng, np.flatnonzero(valid).tolist())
            indices = range(previous, previous + clip_length + 1)
            if not all(valid[i] for i in indices) or not valid[template]:
                continue
            frames = [self._labelled(sequence, i) for i in indices]
            return RawClip(self._labelled(sequence, template), frames[0], tuple(frames[1:]))
        raise UserError(f"dataset {self.name}: could not find a clip of {clip_length} annotated frames")


class MixedClipSource:
    """Draws each clip from one of several sources with the given weights."""

    def __init__(self, sources: SequenceType[ClipSource], weights: SequenceType[float]) -> None:
        if len(sources) != len(weights) or not sources:
            raise ValueError("need one weight per source and at least one source")
        total = float(sum(weights))
        self.sources = list(sources)
        self.probabilities = np.array(weights, dtype=np.float64) / total
        self.name = "+".join(s.name for s in sources)

    def seek(self, clip_index: int) -> None:
        for source in self.sources:
            source.seek(clip_index)

    def sample(self, clip_length: int, rng: np.random.Generator) -> RawClip:
        source = self.sources[int(rng.choice(len(self.sources), p=self.probabilities))]
        return source.sample(clip_length, rng)
