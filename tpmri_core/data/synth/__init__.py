"""Synthetic RGB-T tracking sequences: moving textured targets over procedural streets and photographed
scenes, with companions, lamps, day and night, a simulated thermal camera (either polarity, equalised or
linear), and scripted events that break one modality at a time. See `generate_sequence`; what each part
models and which real pictures it was compared with is in the module docstrings and in
assets/tpmri-tiny-synth.md ("The generator's world").
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
