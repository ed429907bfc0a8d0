"""Fixtures of the tpmri_core tests."""

from __future__ import annotations

import pytest

from nanotrack_fakes import export_backbone_onnx, random_nanotrack_backbone
from tpmri_core.models.real_features import NanoTrackFeatures


@pytest.fixture(scope="session")
def nanotrack_onnx(tmp_path_factory) -> tuple[NanoTrackFeatures, str]:
    """A random NanoTrack backbone and the path of its ONNX file."""
    pytest.importorskip("onnx")
    module = random_nanotrack_backbone(seed=5)
    path = str(tmp_path_factory.mktemp("nanotrack") / "backbone.onnx")
    export_backbone_onnx(module, path)
    return module, path
