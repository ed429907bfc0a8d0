"""From folders of pairs to a dataset root: which target and which kind of sequence each pair gets, seeded
so that the same command always writes the same sequences, and a sheet of the candidates to check by eye."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tpmri_core.data.real_pairs.discovery import ImagePair, find_pairs, read_pair
from tpmri_core.data.real_pairs.sequence import MOTIONS, SEQUENCE_KINDS, make_sequence
from tpmri_core.data.real_pairs.targets import ThermalTarget, find_targets
from tpmri_core.data.real_pairs.writer import write_attribute_table, write_pair_sequence
from tpmri_core.errors import UserError


@dataclass(frozen=True)
class SequencePlan:
    """One sequence to make: from which pair, with which candidate target, kind and motion."""

    name: str
    source: str
    pair: ImagePair
    target_index: int
    kind: str
    motion: str
    seed: int


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def read_target_choices(path: Path) -> dict[str, list[int]]:
    """A targets file: one `<pair id>,<candidate number>[,<candidate number>...]` line per pair to use
    (numbers as on the candidates sheet; '#' starts a comment). Only listed pairs are used."""
    choices: dict[str, list[int]] = {}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise UserError(f"--targets {path}: {error.strerror}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [field.strip() for field in line.split(",")]
        try:
            indices = [int(field) for field in fields[1:]]
        except ValueError:
            indices = []
        if len(fields) < 2 or not indices or min(indices) < 0:
            raise UserError(f"{path}:{number}: expected '<pair id>,<candidate number>', got {line!r}")
        choices[fields[0]] = indices
    return choices


def plan_sequences(
    sources: list[tuple[str, list[ImagePair]]],
    sequences_per_pair: int,
    seed: int,
    kinds: tuple[str, ...] = SEQUENCE_KINDS,
    motions: tuple[str, ...] = MOTIONS,
    target_choices: dict[str, list[int]] | None = None,
    pairs_per_source: int | None = None,
) -> list[SequencePlan]:
    """Kinds go round in turn over all sequences of a source (so every kind gets its share), starting at a
    seeded place; motions alternate the same way; each sequence's seed comes from its source, pair and number."""
    plans = []
    for source, pairs in sources:
        if target_choices is not None:
            pairs = [pair for pair in pairs if pair.pair_id in target_choices]
        rng = np.random.default_rng([seed, _stable(source)])
        if pairs_per_source is not None and len(pairs) > pairs_per_source:
            chosen = sorted(rng.choice(len(pairs), pairs_per_source, replace=False))
            pairs = [pairs[i] for i in chosen]
        kind_offset, motion_offset = int(rng.integers(len(kinds))), int(rng.integers(len(motions)))
        turn = 0
        for pair in pairs:
            indices = target_choices[pair.pair_id] if target_choices is not None else [0]
            for number in range(sequences_per_pair):
                kind = kinds[(turn + kind_offset) % len(kinds)]
                motion = motions[(turn // len(kinds) + turn + motion_offset) % len(motions)]
                turn += 1
                sequence_seed = int(np.random.SeedSequence([seed, _stable(source), _stable(pair.pair_id), number]).generate_state(1)[0])
                plans.append(
                    SequencePlan(
                        name=f"{source}_{pair.pair_id}_{kind}_{number}",
                        source=source,
                        pair=pair,
                        target_index=indices[number % len(indices)],
                        kind=kind,
                        motion=motion,
                        seed=sequence_seed,
                    )
                )
    return plans


def build_root(
    plans: list[SequencePlan],
    out: Path,
    num_frames: int,
    output_wh: tuple[int, int],
    black_hot: bool = False,
    on_written: Callable[[SequencePlan, Path], None] | None = None,
) -> dict[str, frozenset[str]]:
    """Make and write every planned sequence (one that exists is kept), then the root's attr_txt/.

    Per-sequence attributes: the kind, `source-<folder>`, `motion-<camera|target>` and `target-<kind>`.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    attributes: dict[str, frozenset[str]] = {}
    cache: dict[Path, tuple[np.ndarray, np.ndarray, list[ThermalTarget]]] = {}
    for plan in plans:
        if plan.pair.infrared_path not in cache:
            cache.clear()  # plans come pair by pair: keep one pair in memory
            rgb, tir = read_pair(plan.pair)
            cache[plan.pair.infrared_path] = (rgb, tir, find_targets(tir, black_hot=black_hot))
        rgb, tir, targets = cache[plan.pair.infrared_path]
        if plan.target_index >= len(targets):
            raise UserError(
                f"{plan.pair.infrared_path}: candidate {plan.target_index} asked for, but {len(targets)} found"
                + (" (no warm object of a plausible size: leave this pair out)" if not targets else "")
            )
        target = targets[plan.target_index]
        folder = out / plan.name
        if not (folder / "meta.json").is_file():
            sequence = make_sequence(
                rgb, tir, target, plan.kind, np.random.default_rng(plan.seed), num_frames, output_wh,
                motion=plan.motion, look_alikes=targets,
            )
            meta = {
                "generator": "tpmri_core.data.real_pairs",
                "source": plan.source,
                "pair_id": plan.pair.pair_id,
                "target_candidate": plan.target_index,
                "target_box_xywh_in_pair": [round(v, 1) for v in target.box_xywh],
                "target_kind": target.kind,
                "kind": plan.kind,
                "motion": plan.motion,
                "seed": plan.seed,
                "num_frames": num_frames,
                "frame_size_wh": list(output_wh),
                **sequence.details,
                "box_format": "x,y,w,h in pixels, left/top edge, 0-based; rounded to whole pixels",
                "frame_numbering": "image names, annotation lines and events.csv frames count from 1",
            }
            write_pair_sequence(sequence, folder, meta)
            if on_written is not None:
                on_written(plan, folder)
        attributes[plan.name] = frozenset(
            {plan.kind, f"source-{plan.source}", f"motion-{plan.motion}", f"target-{target.kind}"}
        )
    write_attribute_table(out, attributes)
    return attributes


def candidates_sheet(sources: list[tuple[str, list[ImagePair]]], black_hot: bool = False, columns: int = 6) -> np.ndarray:
    """(H, W, 3) uint8 BGR picture: each pair's thermal image with its numbered candidates (0 in green, the
    default choice), to pick targets by eye for a --targets file."""
    tiles = []
    tile_w, tile_h = 320, 270
    for source, pairs in sources:
        for pair in pairs:
            _, tir = read_pair(pair)
            picture = cv2.cvtColor(tir, cv2.COLOR_GRAY2BGR)
            scale = tile_w / picture.shape[1]
            picture = cv2.resize(picture, (tile_w, round(picture.shape[0] * scale)), interpolation=cv2.INTER_AREA)
            for index, target in enumerate(find_targets(tir, black_hot=black_hot)[:8]):
                x, y, w, h = (int(round(v * scale)) for v in target.box_xywh)
                colour = (0, 255, 0) if index == 0 else (0, 0, 255)
                cv2.rectangle(picture, (x, y), (x + w, y + h), colour, 1)
                cv2.putText(picture, str(index), (x, max(9, y - 2)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 255), 1)
            tile = np.zeros((tile_h, tile_w, 3), np.uint8)
            body = picture[: tile_h - 14]
            tile[14 : 14 + body.shape[0]] = body
            cv2.putText(tile, f"{source} {pair.pair_id}", (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
            tiles.append(tile)
    if not tiles:
        raise UserError("no pairs to show")
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    return np.vstack([np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)])


def discover_sources(folders: list[Path]) -> list[tuple[str, list[ImagePair]]]:
    """(source name = folder name, its pairs) per folder; two folders of the same name are an error."""
    sources = []
    for folder in folders:
        name = Path(folder).resolve().name
        if any(name == other for other, _ in sources):
            raise UserError(f"{folder}: two pair folders are named {name!r}; sequence names would clash")
        sources.append((name, find_pairs(folder)))
    return sources
