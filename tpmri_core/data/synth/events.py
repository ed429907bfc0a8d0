"""When each scripted event happens: intervals with ramps, one broken modality at a time.

Darkness and overexposure break RGB, crossover breaks TIR: their intervals never overlap, so a
frame always has one usable modality. Occlusion and distractors may overlap anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tpmri_core.data.synth.signals import trapezoid

MODALITY_EVENTS: tuple[str, ...] = ("darkness", "overexposure", "crossover")
SCENE_EVENTS: tuple[str, ...] = ("occlusion", "distractor")
ACTIVE_LEVEL = 0.5
"""A ramped event counts as active on a frame once its intensity reaches this level."""


@dataclass(frozen=True)
class EventPlan:
    """Args:
    darkness, overexposure, crossover: (T,) intensities in [0, 1].
    occlusion_windows, distractor_windows: (start, end) frame intervals in which an occluder sweeps
        across the target or a look-alike stays near it (the per-frame flags come from the geometry).
    """

    darkness: np.ndarray
    overexposure: np.ndarray
    crossover: np.ndarray
    occlusion_windows: tuple[tuple[int, int], ...]
    distractor_windows: tuple[tuple[int, int], ...]


def clean_lead_in(num_frames: int) -> int:
    """How many first frames stay free of every event, so that a tracker can start on them."""
    return max(1, int(0.08 * num_frames))


def _ramp_fraction(name: str, rng: np.random.Generator) -> float:
    """Lights fail or flare within a few frames; a target drifts into thermal crossover slowly."""
    if name == "crossover":
        return rng.uniform(0.15, 0.4)
    return rng.uniform(0.0, 0.2)


def _disjoint_windows(
    rng: np.random.Generator, first: int, num_frames: int, lengths: list[int]
) -> list[tuple[int, int]]:
    """Non-overlapping windows of the given lengths in random gaps within [first, num_frames)."""
    free = num_frames - first - sum(lengths)
    if free < 0:
        lengths = [max(1, length * (num_frames - first) // max(sum(lengths), 1)) for length in lengths]
        free = max(0, num_frames - first - sum(lengths))
    gaps = rng.dirichlet(np.ones(len(lengths) + 1)) * free
    windows = []
    cursor = float(first)
    for gap, length in zip(gaps[:-1], lengths, strict=True):
        start = int(round(cursor + gap))
        windows.append((start, min(num_frames, start + length)))
        cursor += gap + length
    return windows


def _window_lengths(
    rng: np.random.Generator, span: int, count: int, fraction: tuple[float, float], minimum: int
) -> list[int]:
    return [max(minimum, int(rng.uniform(*fraction) * span)) for _ in range(count)]


def plan_events(rng: np.random.Generator, num_frames: int, scenario: str | None, event_probability: float) -> EventPlan:
    """Random event intervals; `scenario` forces one event over about half the sequence (or none: "clean")."""
    first = clean_lead_in(num_frames)
    span = max(0, num_frames - first)
    intensities = {name: np.zeros(num_frames) for name in MODALITY_EVENTS}
    scene_windows: dict[str, list[tuple[int, int]]] = {name: [] for name in SCENE_EVENTS}
    if span > 0:
        if scenario is None:
            chosen = [name for name in (*MODALITY_EVENTS, *SCENE_EVENTS) if rng.random() < event_probability]
        elif scenario == "clean":
            chosen = []
        else:
            chosen = [scenario]
        count_of = {name: (int(rng.integers(1, 3)) if scenario is not None else 1) for name in chosen}
        fraction = (0.4, 0.6) if scenario is not None else (0.1, 0.3)
        modality = [name for name in chosen if name in MODALITY_EVENTS]
        labels = [name for name in modality for _ in range(count_of[name])]
        rng.shuffle(labels)
        lengths = [max(3, int(rng.uniform(*fraction) * span / count_of[name])) for name in labels]
        for name, (start, end) in zip(labels, _disjoint_windows(rng, first, num_frames, lengths), strict=True):
            ramp = max(1, int(_ramp_fraction(name, rng) * (end - start)))
            peak = 1.0 if scenario is not None else rng.uniform(0.8, 1.0)
            intensities[name] = np.maximum(intensities[name], peak * trapezoid(num_frames, start, end, ramp, ramp))
        for name in (name for name in chosen if name in SCENE_EVENTS):
            lengths = _window_lengths(
                rng, span, count_of[name], (fraction[0] / count_of[name], fraction[1] / count_of[name]), 4
            )
            scene_windows[name] = _disjoint_windows(rng, first, num_frames, lengths)
    return EventPlan(
        darkness=intensities["darkness"],
        overexposure=intensities["overexposure"],
        crossover=intensities["crossover"],
        occlusion_windows=tuple(scene_windows["occlusion"]),
        distractor_windows=tuple(scene_windows["distractor"]),
    )
