"""Tracking sequences made from single registered RGB-thermal photographs (a user's own, or a validation set).

`find_pairs` discovers `<id>_visible.*` / `<id>_infrared.*` files, `find_targets` finds warm objects of a
plausible size in the thermal band, and `make_sequence` moves a virtual camera (and optionally the cut-out
target) over the pair while darkness, glare, thermal contrast collapse, occlusion or a look-alike happen.
"""

from tpmri_core.data.real_pairs.discovery import ImagePair, find_pairs, read_pair
from tpmri_core.data.real_pairs.sequence import SEQUENCE_KINDS, PairSequence, make_sequence
from tpmri_core.data.real_pairs.targets import ThermalTarget, find_targets

__all__ = [
    "SEQUENCE_KINDS",
    "ImagePair",
    "PairSequence",
    "ThermalTarget",
    "find_pairs",
    "find_targets",
    "make_sequence",
    "read_pair",
]
