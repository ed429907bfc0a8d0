"""Our checkpoints (safetensors tensors + the variant and its arguments) and third-party weight loading.

A TPMRI checkpoint rebuilds its own model: the file's metadata holds the variant name and the exact
constructor arguments. Third-party files (a timm or MAE ViT-B state dict, an OSTrack or a ViPT checkpoint)
are read from local paths only; their keys are mapped onto ours, missing and unexpected keys are reported,
and shape mismatches are refused with the key and both shapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from tpmri_core.errors import UserError
from tpmri_core.models.tpmri import TPMRI

CHECKPOINT_FORMAT = "tpmri-live-checkpoint"
CHECKPOINT_VERSION = "1"


class CheckpointError(UserError):
    """A weights file that cannot be used, with the reason in one line."""


@dataclass(frozen=True)
class LoadedCheckpoint:
    model: TPMRI
    variant: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class LoadReport:
    """What a third-party load did: how many tensors it set, and which keys were left over on each side."""

    source_kind: str
    loaded: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source_kind}: loaded {self.loaded} tensors, {len(self.missing)} missing "
            f"(left at their initial values), {len(self.unexpected)} unexpected (ignored)"
        )


def save_checkpoint(model: TPMRI, path: Path | str, variant: str, extra: dict[str, str] | None = None) -> None:
    """Write the model's tensors and what is needed to rebuild it."""
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "variant": variant,
        "model_args": json.dumps(model.model_args),
    }
    metadata.update(extra or {})
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def read_metadata(path: Path | str) -> dict[str, str]:
    """A safetensors file's metadata, without loading its tensors."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"weights file {path} is not a readable safetensors file ({error})") from None


def is_tpmri_checkpoint(path: Path | str) -> bool:
    """True for a file `save_checkpoint` wrote (as opposed to a third-party backbone)."""
    return Path(path).suffix == ".safetensors" and read_metadata(path).get("format") == CHECKPOINT_FORMAT


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    metadata = read_metadata(path)
    try:
        return load_file(str(path)), metadata
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"weights file {path} is not a readable safetensors file ({error})") from None


def _read_tpmri_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    tensors, metadata = _read_safetensors(path)
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"weights file {path} is not a TPMRI checkpoint (metadata 'format' is {metadata.get('format')!r}); "
            "third-party backbones load with load_pretrained()"
        )
    return tensors, metadata


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> LoadedCheckpoint:
    """Rebuild the model a TPMRI checkpoint describes and load its tensors (strictly)."""
    path = Path(path)
    tensors, metadata = _read_tpmri_file(path)
    try:
        args = json.loads(metadata["model_args"])
        args["ce_layers"] = tuple(args.get("ce_layers", ()))
        model = TPMRI(**args)
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"weights file {path} has unusable 'model_args' metadata ({error})") from None
    _check_shapes(model, tensors, path)
    result = model.load_state_dict(tensors, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(
            f"weights file {path} does not match its own model: missing {result.missing_keys[:3]}, "
            f"unexpected {result.unexpected_keys[:3]}"
        )
    return LoadedCheckpoint(model.to(map_location), metadata.get("variant", ""), metadata)


def load_tpmri_weights(model: TPMRI, path: Path | str) -> LoadReport:
    """Start `model` from a TPMRI checkpoint of a possibly different configuration (non-strict, shapes
    checked): tensors of modules the checkpoint lacks, e.g. CMI's position scale, keep their initial values."""
    path = Path(path)
    tensors, _ = _read_tpmri_file(path)
    _check_shapes(model, tensors, path)
    result = model.load_state_dict(tensors, strict=False)
    return LoadReport("tpmri", len(tensors) - len(result.unexpected_keys), sorted(result.missing_keys), sorted(result.unexpected_keys))


def _check_shapes(model: TPMRI, tensors: dict[str, torch.Tensor], path: Path) -> None:
    expected = model.state_dict()
    for name, tensor in tensors.items():
        if name in expected and expected[name].shape != tensor.shape:
            raise CheckpointError(
                f"weights file {path}: tensor {name!r} has shape {tuple(tensor.shape)}, "
                f"the model needs {tuple(expected[name].shape)}"
            )


# ----------------------------------------------------------------------------------------------
# Third-party weights.

_OSTRACK_HEAD = {"ctr": "score", "offset": "offset", "size": "size"}


def _read_any(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)[0]
    try:
        content = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a corrupt or foreign file
        raise CheckpointError(f"weights file {path} cannot be read as a PyTorch checkpoint ({error})") from None
    for key in ("net", "model", "state_dict"):
        if isinstance(content, dict) and isinstance(content.get(key), dict):
            content = content[key]
            break
    if not isinstance(content, dict) or not all(isinstance(v, torch.Tensor) for v in content.values()):
        raise CheckpointError(f"weights file {path} holds no state dict of tensors")
    return content


def detect_kind(state: dict[str, torch.Tensor]) -> str:
    """'vipt', 'ostrack' or 'vit' (timm / MAE) from the keys present."""
    if any(k.startswith("backbone.patch_embed_prompt") or k.startswith("backbone.prompt_blocks") for k in state):
        return "vipt"
    if any(k.startswith("backbone.") for k in state):
        return "ostrack"
    return "vit"


def _resize_grid(pos: torch.Tensor, grid_hw: tuple[int, int]) -> torch.Tensor:
    """(1, N, D) square grid of position embeddings -> (1, h*w, D), bicubic."""
    side = int(round(pos.shape[1] ** 0.5))
    if side * side != pos.shape[1]:
        raise CheckpointError(f"position embedding of {pos.shape[1]} tokens is not a square grid")
    grid = pos.reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=grid_hw, mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(1, grid_hw[0] * grid_hw[1], -1)


def map_third_party_keys(state: dict[str, torch.Tensor], model: TPMRI, kind: str) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Our names for the tensors a third-party file provides, and the keys we could not place."""
    mapped: dict[str, torch.Tensor] = {}
    unexpected: list[str] = []
    prefix = "" if kind == "vit" else "backbone."
    for key, tensor in state.items():
        name = key[len(prefix) :] if key.startswith(prefix) else None
        head = re.fullmatch(r"box_head\.conv(\d)_(ctr|offset|size)\.(.+)", key)
        if head:
            index, branch, rest = int(head.group(1)), _OSTRACK_HEAD[head.group(2)], head.group(3)
            mapped[f"head.{branch}.{index - 1}.{rest}"] = tensor
        elif name is not None and (name.startswith("blocks.") or name.startswith("norm.")):
            mapped[name] = tensor
        elif name is not None and name.startswith("patch_embed.proj."):
            mapped["rgb_stem." + name[len("patch_embed.") :]] = tensor
            # ViPT has its own thermal embedding; others start the thermal path (if any) from RGB's.
            if kind != "vipt" and model.tir_stem is not None:
                mapped["tir_stem." + name[len("patch_embed.") :]] = tensor.clone()
        elif name is not None and name.startswith("patch_embed_prompt.proj."):
            mapped["tir_stem." + name[len("patch_embed_prompt.") :]] = tensor
        elif name == "pos_embed_z":
            mapped["pos_template"] = _resize_grid(tensor, model.layout.template_hw)
        elif name == "pos_embed_x":
            mapped["pos_search"] = _resize_grid(tensor, model.layout.search_hw)
        elif name == "pos_embed" and not any(k.endswith("pos_embed_z") for k in state):
            grid = tensor[:, 1:] if tensor.shape[1] ** 0.5 % 1 else tensor  # drop the class token
            mapped["pos_template"] = _resize_grid(grid, model.layout.template_hw)
            mapped["pos_search"] = _resize_grid(grid, model.layout.search_hw)
        else:
            unexpected.append(key)
    return mapped, unexpected


def load_pretrained(model: TPMRI, path: Path | str, kind: str = "auto") -> LoadReport:
    """Load a local timm/MAE ViT, OSTrack or ViPT file into `model` (non-strict, shapes checked)."""
    path = Path(path)
    state = _read_any(path)
    kind = detect_kind(state) if kind == "auto" else kind
    if kind not in ("vit", "ostrack", "vipt"):
        raise CheckpointError(f"unknown weights kind {kind!r}; expected auto, vit, ostrack or vipt")
    mapped, unexpected = map_third_party_keys(state, model, kind)
    _check_shapes(model, mapped, path)
    result = model.load_state_dict(mapped, strict=False)
    return LoadReport(kind, len(mapped), sorted(result.missing_keys), sorted(unexpected + list(result.unexpected_keys)))
