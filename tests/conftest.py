"""Fixtures shared across test packages (none are autouse)."""

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
