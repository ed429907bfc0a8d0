"""Writing generated frames in the RGBT234 folder layout, so every dataset reader and tool can open them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.synth.config import EVENT_NAMES, SynthConfig
from tpmri_core.data.synth.frame import SynthFrame


def _box_line(box_xywh: tuple[float, float, float, float]) -> str:
    """RGBT234 writes whole pixels: 'x,y,w,h' with a width and height of at least 1."""
    x, y, w, h = box_xywh
    return f"{round(x)},{round(y)},{max(1, round(w))},{max(1, round(h))}"


def write_sequence(
    frames: Iterable[SynthFrame],
    out_dir: Path,
    *,
    seed: int | None = None,
    config: SynthConfig | None = None,
    save_tir_raw: bool = False,
    jpeg_quality: int = 92,
) -> int:
    """Write frames as one RGBT234-style sequence folder and return how many were written.

    Layout: visible/00001v.jpg, infrared/00001i.jpg (frame numbers from 1), visible.txt,
    infrared.txt and init.txt (one 'x,y,w,h' box per line; init.txt repeats visible.txt as RGBT234
    does), events.csv (frame number from 1, then one 0/1 column per EVENT_NAMES) and meta.json
    (seed and config, when given). With save_tir_raw, also infrared_raw/00001i.png, 16-bit
    centi-kelvin.
    """
    out_dir = Path(out_dir)
    visible_dir, infrared_dir = out_dir / "visible", out_dir / "infrared"
    raw_dir = out_dir / "infrared_raw"
    for folder in (visible_dir, infrared_dir, *((raw_dir,) if save_tir_raw else ())):
        folder.mkdir(parents=True, exist_ok=True)
    jpeg = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    lines_rgb: list[str] = []
    lines_tir: list[str] = []
    event_rows: list[str] = []
    frame_size: tuple[int, int] | None = None
    for count, frame in enumerate(frames, start=1):
        frame_size = (int(frame.rgb.shape[1]), int(frame.rgb.shape[0]))
        if not cv2.imwrite(str(visible_dir / f"{count:05d}v.jpg"), cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR), jpeg):
            raise OSError(f"could not write {visible_dir / f'{count:05d}v.jpg'}")
        # RGBT234's thermal JPEGs are three identical channels; keep that so readers see the same thing.
        if not cv2.imwrite(str(infrared_dir / f"{count:05d}i.jpg"), cv2.cvtColor(frame.tir, cv2.COLOR_GRAY2BGR), jpeg):
            raise OSError(f"could not write {infrared_dir / f'{count:05d}i.jpg'}")
        if save_tir_raw:
            cv2.imwrite(str(raw_dir / f"{count:05d}i.png"), np.ascontiguousarray(frame.tir_raw))
        lines_rgb.append(_box_line(frame.box_xywh_rgb))
        lines_tir.append(_box_line(frame.box_xywh_tir))
        event_rows.append(",".join([str(count), *("1" if name in frame.events else "0" for name in EVENT_NAMES)]))
    (out_dir / "visible.txt").write_text("".join(line + "\n" for line in lines_rgb))
    (out_dir / "init.txt").write_text("".join(line + "\n" for line in lines_rgb))
    (out_dir / "infrared.txt").write_text("".join(line + "\n" for line in lines_tir))
    (out_dir / "events.csv").write_text(
        "frame," + ",".join(EVENT_NAMES) + "\n" + "".join(row + "\n" for row in event_rows)
    )
    meta = {
        "generator": "tpmri_core.data.synth",
        "seed": seed,
        "num_frames": len(lines_rgb),
        "frame_size_wh": frame_size,
        "config": dataclasses.asdict(config) if config is not None else None,
        "box_format": "x,y,w,h in pixels, left/top edge, 0-based; rounded to whole pixels",
        "events": list(EVENT_NAMES),
        "frame_numbering": "image names, annotation lines and events.csv frames count from 1",
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return len(lines_rgb)
