"""Training targets on the search feature map: a Gaussian centre map and the box at its peak cell."""

from __future__ import annotations

import torch


def gaussian_center_map(boxes_cxcywh: torch.Tensor, map_hw: tuple[int, int], min_sigma_cells: float = 0.7) -> torch.Tensor:
    """(B, 4) boxes as crop fractions -> (B, 1, H, W) maps with exactly 1.0 at the centre cell.

    The spread grows with the box (a sixth of its size, in cells), so large targets tolerate
    neighbouring peaks, as CenterNet's radius rule intends.
    """
    height, width = map_hw
    rows = torch.arange(height, device=boxes_cxcywh.device, dtype=boxes_cxcywh.dtype)
    cols = torch.arange(width, device=boxes_cxcywh.device, dtype=boxes_cxcywh.dtype)
    center_col, center_row = center_cells(boxes_cxcywh, map_hw)
    sigma_x = (boxes_cxcywh[:, 2] * width / 6).clamp(min=min_sigma_cells)
    sigma_y = (boxes_cxcywh[:, 3] * height / 6).clamp(min=min_sigma_cells)
    dx = (cols[None, :] - center_col[:, None].to(cols.dtype)) / sigma_x[:, None]
    dy = (rows[None, :] - center_row[:, None].to(rows.dtype)) / sigma_y[:, None]
    gaussian = torch.exp(-0.5 * (dy[:, :, None] ** 2 + dx[:, None, :] ** 2))
    return gaussian.unsqueeze(1)


def center_cells(boxes_cxcywh: torch.Tensor, map_hw: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The (column, row) of the cell holding each box centre, clamped onto the map."""
    height, width = map_hw
    col = (boxes_cxcywh[:, 0] * width).floor().long().clamp(0, width - 1)
    row = (boxes_cxcywh[:, 1] * height).floor().long().clamp(0, height - 1)
    return col, row
