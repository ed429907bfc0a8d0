"""Head maps as a perfectly mirror-consistent model would give them, for the mirror-averaging tests."""

from __future__ import annotations

import torch

from tpmri_core.models.head import HeadMaps


def mirror_of(maps: HeadMaps) -> HeadMaps:
    """The maps for the left-right mirrored crop: flipped, with the horizontal offset counted from the other edge."""
    offset = maps.offset.flip(-1).clone()
    offset[:, 0] = 1.0 - offset[:, 0]
    return HeadMaps(maps.score_logits.flip(-1), maps.size.flip(-1), offset)


def with_mirror(maps: HeadMaps) -> HeadMaps:
    """A batch of two: `maps` (row 0) and their mirror (row 1)."""
    mirror = mirror_of(maps)
    return HeadMaps(
        torch.cat([maps.score_logits, mirror.score_logits]),
        torch.cat([maps.size, mirror.size]),
        torch.cat([maps.offset, mirror.offset]),
    )
