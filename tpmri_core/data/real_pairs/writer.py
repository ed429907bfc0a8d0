"""Writing a made sequence in the RGBT234 layout (the layout every reader and tool of ours opens), and a
dataset root's per-sequence attributes in the RGBT234 toolkit's attr_txt/ form."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import cv2

from tpmri_core.data.real_pairs.events import EVENT_NAMES
from tpmri_core.data.real_pairs.sequence import PairSequence


def _box_line(box_xywh) -> str:
    x, y, w, h = (float(v) for v in box_xywh)
    return f"{round(x)},{round(y)},{max(1, round(w))},{max(1, round(h))}"


def write_pair_sequence(sequence: PairSequence, out_dir: Path, meta: Mapping[str, object], jpeg_quality: int = 92) -> None:
    """visible/00001v.jpg, infrared/00001i.jpg (three equal channels, as RGBT234), visible.txt, infrared.txt
    and init.txt (the same boxes: the pair is registered), events.csv and meta.json.

    The folder is written under a temporary name and renamed, so one that exists is complete.
    """
    out_dir = Path(out_dir)
    temporary = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        (temporary / "visible").mkdir(parents=True)
        (temporary / "infrared").mkdir()
        quality = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
        for number, (rgb, tir) in enumerate(zip(sequence.rgb, sequence.tir), start=1):
            for path, image in (
                (temporary / "visible" / f"{number:05d}v.jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)),
                (temporary / "infrared" / f"{number:05d}i.jpg", cv2.cvtColor(tir, cv2.COLOR_GRAY2BGR)),
            ):
                if not cv2.imwrite(str(path), image, quality):
                    raise OSError(f"could not write {path}")
        lines = "".join(_box_line(box) + "\n" for box in sequence.boxes_xywh)
        for name in ("visible.txt", "infrared.txt", "init.txt"):
            (temporary / name).write_text(lines)
        rows = [
            ",".join([str(index + 1), *("1" if sequence.events[name][index] else "0" for name in EVENT_NAMES)])
            for index in range(len(sequence))
        ]
        (temporary / "events.csv").write_text("frame," + ",".join(EVENT_NAMES) + "\n" + "".join(r + "\n" for r in rows))
        (temporary / "meta.json").write_text(json.dumps(dict(meta), indent=2, default=str) + "\n")
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def write_attribute_table(root: Path, attributes: Mapping[str, frozenset[str] | set[str]]) -> None:
    """attr_txt/SequencesName.txt and one attr_txt/<attribute>.txt of 0/1 lines per attribute, in that order."""
    folder = Path(root) / "attr_txt"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = sorted(attributes)
    (folder / "SequencesName.txt").write_text("".join(name + "\n" for name in names))
    for attribute in sorted({a for attrs in attributes.values() for a in attrs}):
        (folder / f"{attribute}.txt").write_text("".join(("1" if attribute in attributes[n] else "0") + "\n" for n in names))
