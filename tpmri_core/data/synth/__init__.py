"""Synthetic RGB-T tracking sequences: moving textured targets over photographed scenes, a simulated
thermal camera, and scripted events that break one modality at a time. See `generate_sequence`.
"""

from tpmri_core.data.synth.config import EVENT_NAMES, SCENARIOS, TARGET_KINDS, SynthConfig
from tpmri_core.data.synth.frame import SynthFrame
from tpmri_core.data.synth.sequence import generate_sequence
from tpmri_core.data.synth.writer import write_sequence

__all__ = [
    "EVENT_NAMES",
    "SCENARIOS",
    "TARGET_KINDS",
    "SynthConfig",
    "SynthFrame",
    "generate_sequence",
    "write_sequence",
]
