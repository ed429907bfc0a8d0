"""Losing and re-acquiring a target: test sequences where it is fully hidden or leaves the view, and the measurement.

The generator's occlusions sweep a part of an occluder over the target; nothing in it hides the target
completely or takes it out of the picture for seconds. Both are built here from the generator's output,
without touching it:

- `hide_target`: an opaque static panel (a blurred piece of the scene from the other side of the frame,
  the same in RGB and thermal) covers everywhere the target goes during the event, so neither modality sees it.
- `leave_view`: a virtual camera, a window of the generated frame that follows the target, pans away so the
  target is entirely outside the picture, then pans back.

`measure` tracks every sequence with the plain tracker and with `ReacquiringTracker` and reports, per
tracker, how often the box is back on the target (IoU >= 0.5 for 5 frames running) within 3 s of the
target becoming visible again, and how long that took. `calibrate` records the scores from which the
target-state thresholds were chosen. Both run on seeds that are never used for the held-out benchmark:

    python -m tpmri_core.evaluation.reacquisition calibrate --seeds 700-711
    python -m tpmri_core.evaluation.reacquisition measure --seeds 800-811
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth import SynthConfig, SynthFrame, generate_sequence
from tpmri_core.evaluation.box_errors import overlaps
from tpmri_core.frames import RGBTFrame

FPS = 25.0
EVENT_KINDS = ("hidden", "left-view")
# The generated scenes for these tests: slower targets and camera so a panel can cover 1-2 s of motion.
SCENE_CONFIG = SynthConfig(width=640, height=480, scenario="clean", camera_motion=0.3, max_speed_px=3.0, target_size_px=(18.0, 60.0))
VIEW_WH = (320, 240)
ON_TARGET_IOU = 0.5
STAY_FRAMES = 5
REACQUIRE_WITHIN_S = 3.0


@dataclass(frozen=True)
class EventSequence:
    """Frames with the target's box, None where the target cannot be seen, and the event's frame span.

    Args:
        name: 'seed-kind'.
        frames: the registered pairs as trackers see them.
        boxes_xywh: (N, 4) the target in each frame; NaN rows where it is hidden or out of view.
        event: (start, end) frames of the event (the target is invisible in between, end exclusive).
    """

    name: str
    frames: list[RGBTFrame]
    boxes_xywh: np.ndarray
    event: tuple[int, int]


def _union_xywh(boxes: np.ndarray, margin: float) -> tuple[int, int, int, int]:
    x0, y0 = (boxes[:, :2] - boxes[:, 2:] * margin).min(axis=0)
    x1, y1 = (boxes[:, :2] + boxes[:, 2:] * (1 + margin)).max(axis=0)
    return int(math.floor(x0)), int(math.floor(y0)), int(math.ceil(x1 - x0)), int(math.ceil(y1 - y0))


def hide_target(frames: Sequence[SynthFrame], start: int, length: int, name: str = "") -> EventSequence | None:
    """An opaque panel over the target's whole path from `start` for `length` frames; None if it would be too big."""
    boxes = np.array([f.box_xywh_rgb for f in frames], dtype=np.float64)
    height, width = frames[0].tir.shape
    x, y, w, h = _union_xywh(boxes[start : start + length], margin=0.3)
    x, y = max(0, x), max(0, y)
    w, h = min(w, width - x), min(h, height - y)
    if w * h > 0.4 * width * height:
        return None
    source_x = width - x - w if abs((width - x - w) - x) >= w else (x + w if x + 2 * w <= width else max(0, x - w))
    rgb_panel = cv2.GaussianBlur(frames[start].rgb[y : y + h, source_x : source_x + w], (0, 0), 3.0)
    tir_panel = cv2.GaussianBlur(frames[start].tir[y : y + h, source_x : source_x + w], (0, 0), 3.0)
    out: list[RGBTFrame] = []
    truth = boxes.copy()
    for index, frame in enumerate(frames):
        rgb, tir = frame.rgb, frame.tir
        if start <= index < start + length:
            rgb, tir = rgb.copy(), tir.copy()
            rgb[y : y + h, x : x + w] = rgb_panel
            tir[y : y + h, x : x + w] = tir_panel
            truth[index] = np.nan
        out.append(RGBTFrame(rgb=rgb, tir=tir, t_rgb=index / FPS, t_tir=index / FPS, index=index))
    return EventSequence(name, out, truth, (start, start + length))


def leave_view(frames: Sequence[SynthFrame], start: int, length: int, name: str = "", view_wh: tuple[int, int] = VIEW_WH) -> EventSequence | None:
    """A window that follows the target pans away for `length` frames from `start`; None if it cannot lose it."""
    view_w, view_h = view_wh
    pad = max(view_w, view_h)
    boxes = np.array([f.box_xywh_rgb for f in frames], dtype=np.float64)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    smoothed = np.empty_like(centres)
    smoothed[0] = centres[0]
    for index in range(1, len(frames)):
        smoothed[index] = 0.85 * smoothed[index - 1] + 0.15 * centres[index]
    height, width = frames[0].tir.shape
    # Away from the nearer frame edge, far enough that the whole box leaves the window.
    side = 1.0 if centres[start, 0] < width / 2 else -1.0
    away = view_w / 2 + boxes[start : start + length, 2].max() / 2 + 12
    ramp = 6
    offsets = np.zeros(len(frames))
    for index in range(len(frames)):
        if start - ramp <= index < start:
            offsets[index] = away * (index - start + ramp + 1) / (ramp + 1)
        elif start <= index < start + length:
            offsets[index] = away
        elif start + length <= index < start + length + ramp:
            offsets[index] = away * (start + length + ramp - index) / (ramp + 1)
    out: list[RGBTFrame] = []
    truth = np.full_like(boxes, np.nan)
    for index, frame in enumerate(frames):
        left = int(round(smoothed[index, 0] + side * offsets[index] - view_w / 2))
        top = int(round(smoothed[index, 1] - view_h / 2))
        left = min(max(left, -pad + 1), width + pad - view_w - 1)
        top = min(max(top, 0), height - view_h)
        rgb = cv2.copyMakeBorder(frame.rgb, 0, 0, pad, pad, cv2.BORDER_REPLICATE)[top : top + view_h, left + pad : left + pad + view_w]
        tir = cv2.copyMakeBorder(frame.tir, 0, 0, pad, pad, cv2.BORDER_REPLICATE)[top : top + view_h, left + pad : left + pad + view_w]
        box = boxes[index] - np.array([left, top, 0, 0])
        visible_w = min(box[0] + box[2], view_w) - max(box[0], 0)
        visible_h = min(box[1] + box[3], view_h) - max(box[1], 0)
        if visible_w > 0.5 * box[2] and visible_h > 0.5 * box[3]:
            truth[index] = box
        elif start <= index < start + length and (visible_w > 0 and visible_h > 0):
            return None  # the window could not get away from the target
        out.append(RGBTFrame(rgb=np.ascontiguousarray(rgb), tir=np.ascontiguousarray(tir), t_rgb=index / FPS, t_tir=index / FPS, index=index))
    if np.isnan(truth[0]).any():
        return None
    return EventSequence(name, out, truth, (start, start + length))


def event_sequences(seeds: Sequence[int], kinds: Sequence[str] = EVENT_KINDS, frames: int = 150) -> list[EventSequence]:
    """One sequence per seed and kind; the event lasts 1-2 s (drawn from the seed) from about frame 40."""
    built: list[EventSequence] = []
    for seed in seeds:
        synth = list(generate_sequence(seed, frames, SCENE_CONFIG))
        rng = np.random.default_rng(seed)
        length = int(rng.integers(int(FPS), int(2 * FPS) + 1))
        for kind in kinds:
            make: Callable[..., EventSequence | None] = hide_target if kind == "hidden" else leave_view
            for start in (40, 30, 55, 20):
                sequence = make(synth, start, length, name=f"{seed}-{kind}")
                if sequence is not None:
                    built.append(sequence)
                    break
    return built


@dataclass(frozen=True)
class TrackedRun:
    boxes_xywh: np.ndarray
    scores: np.ndarray
    states: list[str]


def track_run(tracker: object, sequence: EventSequence) -> TrackedRun:
    """Initialise on frame 0's box and track the rest (row 0 is the initial box)."""
    tracker.initialize(sequence.frames[0], tuple(sequence.boxes_xywh[0]))  # type: ignore[attr-defined]
    boxes = [sequence.boxes_xywh[0]]
    scores = [math.nan]
    states = ["init"]
    for frame in sequence.frames[1:]:
        result = tracker.track(frame)  # type: ignore[attr-defined]
        boxes.append(np.array(result.box_xywh))
        scores.append(result.score)
        states.append(result.target_state)
    return TrackedRun(np.array(boxes), np.array(scores), states)


def reacquired_after_s(run: TrackedRun, sequence: EventSequence) -> float | None:
    """Seconds from the target's return to the box being on it for STAY_FRAMES frames (None: not within the limit)."""
    iou = overlaps(run.boxes_xywh, sequence.boxes_xywh)
    end = sequence.event[1]
    returned = next((i for i in range(end, len(iou)) if not math.isnan(iou[i])), None)
    if returned is None:
        return None
    limit = returned + int(REACQUIRE_WITHIN_S * FPS)
    for index in range(returned, min(limit, len(iou) - STAY_FRAMES + 1)):
        window = iou[index : index + STAY_FRAMES]
        if np.all(np.nan_to_num(window, nan=0.0) >= ON_TARGET_IOU):
            return (index - returned) / FPS
    return None


def build_trackers(weights: str | None, mirror_average: bool, thresholds: object = None) -> tuple[object, object]:
    import torch

    from tpmri_core.tracking.target_state import DEFAULT_THRESHOLDS, ReacquiringTracker
    from tpmri_core.tracking.tracker import Tracker
    from tpmri_core.weights import resolve_model

    torch.set_num_threads(1)
    model = resolve_model(None, weights).model
    plain = Tracker(model, device="cpu", mirror_average=mirror_average)
    searching = ReacquiringTracker(Tracker(model, device="cpu", mirror_average=mirror_average), thresholds or DEFAULT_THRESHOLDS)  # type: ignore[arg-type]
    return plain, searching


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    if 20261125 in seeds:
        raise SystemExit("seed 20261125 is the held-out benchmark's; choose validation seeds")
    return seeds


def calibrate(sequences: Sequence[EventSequence], plain: object, reacquiring: object) -> dict[str, object]:
    """Scores on visible, on-target frames and on frames without the target; the search's peaks without it."""
    on_target: list[float] = []
    off_target: list[float] = []
    hidden: list[float] = []
    search_false: list[float] = []
    search_true: list[float] = []
    raw: dict[str, object] = {}
    for sequence in sequences:
        run = track_run(plain, sequence)
        iou = overlaps(run.boxes_xywh, sequence.boxes_xywh)
        raw[sequence.name] = {"scores": [round(float(v), 4) for v in run.scores], "iou": [None if math.isnan(v) else round(float(v), 3) for v in iou], "search": []}
        for index in range(1, len(iou)):
            if math.isnan(iou[index]):
                hidden.append(float(run.scores[index]))
            elif iou[index] >= ON_TARGET_IOU:
                on_target.append(float(run.scores[index]))
            else:
                off_target.append(float(run.scores[index]))
        searches = raw[sequence.name]["search"]  # type: ignore[index]
        reacquiring.initialize(sequence.frames[0], tuple(sequence.boxes_xywh[0]))  # type: ignore[attr-defined]
        for index, frame in enumerate(sequence.frames[1:], start=1):
            reacquiring.last_search = None  # type: ignore[attr-defined]
            result = reacquiring.track(frame)  # type: ignore[attr-defined]
            if reacquiring.last_search is None:  # type: ignore[attr-defined]
                continue
            region, found = reacquiring.last_search  # type: ignore[attr-defined]
            target_absent = math.isnan(sequence.boxes_xywh[index, 0])
            (search_false if target_absent else search_true).append(float(found.score))
            hit = float(overlaps(np.array(found.box_xywh), sequence.boxes_xywh[index])[0])
            searches.append([index, round(region.side_px, 1), bool(region.hann), round(float(found.score), 4), None if math.isnan(hit) else round(hit, 3), result.target_state])

    def quantiles(values: list[float]) -> dict[str, float]:
        if not values:
            return {"count": 0}
        array = np.array(values)
        return {"count": len(values), **{f"p{q}": round(float(np.percentile(array, q)), 3) for q in (1, 5, 10, 25, 50, 75, 90, 95, 99)}}

    return {
        "on_target": quantiles(on_target),
        "off_target_visible": quantiles(off_target),
        "target_hidden": quantiles(hidden),
        "search_peaks_target_absent": quantiles(search_false),
        "search_peaks_target_present": quantiles(search_true),
        "raw": raw,
    }


def measure(sequences: Sequence[EventSequence], plain: object, reacquiring: object) -> dict[str, object]:
    """Per tracker and event kind: how often and how fast the box is back on the target."""
    report: dict[str, object] = {}
    for label, tracker in (("plain", plain), ("reacquiring", reacquiring)):
        for kind in EVENT_KINDS:
            chosen = [s for s in sequences if s.name.endswith(kind)]
            delays = []
            started_s = time.perf_counter()
            for sequence in chosen:
                delays.append(reacquired_after_s(track_run(tracker, sequence), sequence))
            found = [d for d in delays if d is not None]
            report[f"{label}/{kind}"] = {
                "sequences": len(chosen),
                "reacquired": len(found),
                "median_delay_s": round(float(np.median(found)), 2) if found else None,
                "max_delay_s": round(float(np.max(found)), 2) if found else None,
                "per_sequence": {s.name: d for s, d in zip(chosen, delays)},
                "elapsed_s": round(time.perf_counter() - started_s, 1),
            }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tpmri_core.evaluation.reacquisition", description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=("calibrate", "measure"))
    parser.add_argument("--seeds", default="700-711", help="validation seeds, e.g. 700-711 or 1,2,5 (never 20261125)")
    parser.add_argument("--weights", help="weights file (default: the bundled weights)")
    parser.add_argument("--no-mirror-average", dest="mirror_average", action="store_false")
    parser.add_argument("--out", help="write the JSON report here too")
    parser.add_argument("--thresholds", metavar="LOST,UNCERTAIN,REACQUIRE", help="state thresholds to use instead of the defaults")
    args = parser.parse_args(argv)
    from tpmri_core.tracking.target_state import StateThresholds

    thresholds = None
    if args.thresholds:
        lost, uncertain, reacquire = (float(v) for v in args.thresholds.split(","))
        thresholds = StateThresholds(lost_below=lost, uncertain_below=uncertain, reacquire_above=reacquire)
    sequences = event_sequences(parse_seeds(args.seeds))
    plain, reacquiring = build_trackers(args.weights, args.mirror_average, thresholds)
    report = calibrate(sequences, plain, reacquiring) if args.task == "calibrate" else measure(sequences, plain, reacquiring)
    report = {"task": args.task, "seeds": args.seeds, "sequences": [s.name for s in sequences], **report}
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
