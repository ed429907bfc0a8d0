"""Challenge attributes (occlusion, low illumination, thermal crossover, ...), per sequence or per frame.

Per sequence, two file layouts exist, both optional in a dataset root:
- RGBT234 / RGBT210 toolkit: `attr_txt/SequencesName.txt` plus one `attr_txt/<ATTR>.txt` per attribute,
  a 0/1 flag per line in the order of SequencesName.txt;
- LasHeR: `AttriSeqsTxt/<sequence>.txt`, one line of 19 comma-separated 0/1 flags in the order of
  `Attributes_order.txt` (NO, PO, TO, ... ARC).
Per frame: `events.csv` in a sequence folder (our synthetic sequences), a header `frame,<name>,...`
and one row of 0/1 flags per frame.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from tpmri_core.data.box_files import read_number_rows
from tpmri_core.data.layouts import find_child
from tpmri_core.errors import UserError

LASHER_ATTRIBUTE_ORDER: tuple[str, ...] = (
    "NO", "PO", "TO", "HO", "MB", "LI", "HI", "AIV", "LR", "DEF",
    "BC", "SA", "CM", "TC", "FL", "OV", "FM", "SV", "ARC",
)


def sequence_attributes(dataset: str, root: Path, name: str) -> frozenset[str]:
    """The attributes a dataset root declares for one sequence; empty when it ships no attribute files."""
    if dataset == "lasher":
        return _lasher_attributes(Path(root), name)
    if dataset in ("rgbt234", "rgbt210"):
        table_folder = find_child(Path(root), "attr_txt")
        if table_folder is None or not table_folder.is_dir():
            return frozenset()
        return _attribute_table(str(table_folder.resolve()), table_folder.stat().st_mtime_ns).get(name, frozenset())
    return frozenset()


def read_frame_flags(path: Path) -> dict[str, np.ndarray]:
    """name -> (N,) bool per-frame flags from an events.csv ('frame,<name>,...' header, 0/1 rows)."""
    lines = [line for line in Path(path).read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    if not lines:
        raise UserError(f"{path}: empty, expected a header 'frame,<event>,...'")
    header = [name.strip() for name in lines[0].split(",")]
    if header[0].lower() != "frame" or len(header) < 2:
        raise UserError(f"{path}:1: expected a header 'frame,<event>,...', got {lines[0]!r}")
    rows = []
    for line_number, line in enumerate(lines[1:], start=2):
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != len(header) or any(field not in ("0", "1") for field in fields[1:]):
            raise UserError(f"{path}:{line_number}: expected a frame number and {len(header) - 1} flags 0 or 1")
        rows.append([field == "1" for field in fields[1:]])
    flags = np.asarray(rows, dtype=bool).reshape(len(rows), len(header) - 1)
    return {name: flags[:, column] for column, name in enumerate(header[1:])}


def _lasher_attributes(root: Path, name: str) -> frozenset[str]:
    for base in (root, root.parent):
        folder = find_child(base, "AttriSeqsTxt")
        if folder is not None and folder.is_dir():
            break
    else:
        return frozenset()
    path = find_child(folder, f"{name}.txt")
    if path is None:
        return frozenset()
    order = _lasher_attribute_order(folder.parent)
    flags = read_number_rows(path, allowed_widths=(len(order),))
    return frozenset(attr for attr, flag in zip(order, flags[0]) if flag == 1)


def _lasher_attribute_order(base: Path) -> tuple[str, ...]:
    path = find_child(base, "Attributes_order.txt")
    if path is None:
        return LASHER_ATTRIBUTE_ORDER
    names = tuple(n.strip() for n in path.read_text(encoding="utf-8-sig").replace("\n", ",").split(",") if n.strip())
    return names or LASHER_ATTRIBUTE_ORDER


@lru_cache(maxsize=8)
def _attribute_table(folder_text: str, mtime_ns: int) -> dict[str, frozenset[str]]:
    """sequence -> attributes from an attr_txt folder (cached: every sequence of a root asks for it)."""
    folder = Path(folder_text)
    names_path = find_child(folder, "SequencesName.txt")
    if names_path is None:
        raise UserError(f"{folder}: attribute folder without SequencesName.txt")
    names = [line.strip() for line in names_path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    attributes: dict[str, set[str]] = {name: set() for name in names}
    for path in sorted(folder.glob("*.txt")):
        if path.name.lower() == "sequencesname.txt":
            continue
        flags = read_number_rows(path, allowed_widths=(1,))[:, 0]
        if len(flags) > len(names):
            raise UserError(f"{path}: {len(flags)} flags but SequencesName.txt names {len(names)} sequences")
        for name, flag in zip(names, flags):
            if flag == 1:
                attributes[name].add(path.stem)
    return {name: frozenset(attrs) for name, attrs in attributes.items()}
