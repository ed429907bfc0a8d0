"""A picture of one generated frame per event type, RGB above TIR with the ground-truth boxes: for
documentation and for eyeballing the generator after a change.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.synth.config import EVENT_NAMES, SynthConfig
from tpmri_core.data.synth.frame import SynthFrame
from tpmri_core.data.synth.sequence import generate_sequence

SHEET_SCENARIOS: tuple[str, ...] = ("clean", *EVENT_NAMES)
_BOX_COLOUR = (60, 255, 60)
_LABEL_HEIGHT = 20


def _pick_frame(frames: list[SynthFrame], scenario: str) -> SynthFrame:
    """The middle of the longest run of frames where the scenario's event is active (for "clean": of all)."""
    if scenario == "clean":
        return frames[len(frames) // 2]
    best_start, best_length, start = 0, 0, None
    for index, frame in enumerate([*frames, None]):
        active = frame is not None and scenario in frame.events
        if active and start is None:
            start = index
        elif not active and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    return frames[best_start + best_length // 2]


def _tile(image: np.ndarray, box_xywh: tuple[float, float, float, float], tile_wh: tuple[int, int]) -> np.ndarray:
    rgb = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    scale_x, scale_y = tile_wh[0] / rgb.shape[1], tile_wh[1] / rgb.shape[0]
    tile = cv2.resize(rgb, tile_wh, interpolation=cv2.INTER_AREA)
    x, y, w, h = box_xywh
    cv2.rectangle(
        tile,
        (int(x * scale_x), int(y * scale_y)),
        (int((x + w) * scale_x), int((y + h) * scale_y)),
        _BOX_COLOUR,
        1,
        cv2.LINE_AA,
    )
    return tile


def event_contact_sheet(
    seed: int = 0, config: SynthConfig | None = None, num_frames: int = 80, tile_width: int = 288, columns: int = 3
) -> np.ndarray:
    """(H, W, 3) uint8 RGB sheet: for "clean" and each event, a frame of a sequence forced to it.

    Each cell is a label, the RGB frame and below it the thermal frame; the scenario's sequence k
    uses the seed derived from (seed, k).
    """
    config = config or SynthConfig()
    tile_wh = (tile_width, int(round(tile_width * config.height / config.width)))
    cells = []
    for k, scenario in enumerate(SHEET_SCENARIOS):
        sequence_seed = int(np.random.SeedSequence([seed, k]).generate_state(1, dtype=np.uint32)[0])
        scenario_config = dataclasses.replace(config, scenario=scenario)
        frame = _pick_frame(list(generate_sequence(sequence_seed, num_frames, scenario_config)), scenario)
        label = np.zeros((_LABEL_HEIGHT, tile_wh[0], 3), np.uint8)
        text = f"{scenario}  (frame {frame.index + 1}; active: {', '.join(sorted(frame.events)) or 'none'})"
        cv2.putText(label, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        cells.append(
            np.vstack(
                [label, _tile(frame.rgb, frame.box_xywh_rgb, tile_wh), _tile(frame.tir, frame.box_xywh_tir, tile_wh)]
            )
        )
    while len(cells) % columns:
        cells.append(np.zeros_like(cells[0]))
    gap = np.zeros((cells[0].shape[0], 2, 3), np.uint8)
    rows = [
        np.hstack([part for cell in cells[i : i + columns] for part in (cell, gap)][:-1])
        for i in range(0, len(cells), columns)
    ]
    return np.vstack(rows)


def save_event_contact_sheet(
    path: Path, seed: int = 0, config: SynthConfig | None = None, max_colours: int = 256
) -> None:
    """Write the sheet as a palette PNG (small enough to keep in a repository)."""
    from PIL import Image

    sheet = Image.fromarray(event_contact_sheet(seed, config))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=max_colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
        path, optimize=True
    )
