"""Fixtures shared across test packages (only the cache folder is autouse)."""

from __future__ import annotations

import os

# Qt tests run without a screen (CI, SSH sessions); a real display can still be chosen explicitly.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from typing import Any

import pytest
import torch

from tpmri_core.models.tpmri import TPMRI
from tpmri_core.models.variants import build_model


@pytest.fixture
def make_tiny_model() -> Callable[..., TPMRI]:
    """A fresh, seeded, untrained tpmri-tiny (the fastest variant) with optional constructor overrides."""

    def make(seed: int = 0, **overrides: Any) -> TPMRI:
        torch.manual_seed(seed)
        return build_model("tpmri-tiny", **overrides).eval()

    return make


@pytest.fixture(autouse=True, scope="session")
def _onnx_cache_in_a_temporary_folder(tmp_path_factory):
    """Commands that build ONNX graphs write them under XDG_CACHE_HOME: never the user's cache during tests.

    (Session-wide, so one export serves every test with the same weights; spawned workers inherit it.)
    """
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
