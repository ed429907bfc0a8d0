"""The import directions of pyproject's import-linter contracts hold (core and calibration never import
the application or Qt; calibration never imports torch; the Qt window never imports torch)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    executable = shutil.which("lint-imports")
    if executable is None:
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]')")
    completed = subprocess.run([executable], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout
