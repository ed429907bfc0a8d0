"""`tpmri stem-transfer`: a trained TPMRI moved onto NanoTrack's real-feature stem, ready to fine-tune."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tpmri_core.errors import UserError

DEFAULT_SEQUENCES = 24
DEFAULT_FRAMES = 40
DEFAULT_SEED = 555


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "stem-transfer",
        help="put a trained model on NanoTrack's real-feature stem (a start for fine-tuning)",
        description="Copy a TPMRI checkpoint onto the real-feature stem: NanoTrack v2's backbone (frozen, from its "
        "ONNX file, Apache-2.0) replaces each stem, every other tensor is kept, and each stem's 1x1 projection is "
        "fitted by least squares to give the old stem's tokens on crops of generated scenes. Fine-tune the result "
        "with `tpmri train --variant tpmri-tiny-real --pretrained OUT`.",
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, metavar="WEIGHTS", help="TPMRI checkpoint to start from")
    parser.add_argument("--real-features", type=Path, required=True, metavar="ONNX",
                        help="NanoTrack v2's backbone (nanotrack_backbone_sim.onnx)")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint to write (.safetensors)")
    parser.add_argument("--sequences", type=int, default=DEFAULT_SEQUENCES,
                        help=f"generated sequences to fit on (default {DEFAULT_SEQUENCES})")
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help=f"frames per sequence (default {DEFAULT_FRAMES})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"base seed of the scenes (default {DEFAULT_SEED})")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tpmri_core.commands.synth import sequence_name, sequence_seed
    from tpmri_core.data.synth import SynthConfig, generate_sequence, write_sequence
    from tpmri_core.models.checkpoint import load_checkpoint, save_checkpoint
    from tpmri_core.models.variants import list_variants, variant_name
    from tpmri_core.training.stem_transfer import fit_projection, real_stem_model, sequence_crops

    if args.sequences < 1 or args.frames < 1:
        raise UserError(f"--sequences and --frames must be at least 1, got {args.sequences} and {args.frames}")
    if args.out.suffix != ".safetensors":
        raise UserError(f"--out {args.out} must end in .safetensors")
    loaded = load_checkpoint(args.source)
    old = loaded.model.eval()
    if old.model_args.get("stem") == "real":
        raise UserError(f"{args.source} already has the real-feature stem")
    new = real_stem_model(old, args.real_features)
    config = SynthConfig()
    # Written and read back as `tpmri synth` writes sequences (JPEG frames), so the fit sees the same pictures
    # as the validation and benchmark scenes do.
    with tempfile.TemporaryDirectory(prefix="tpmri-stem-transfer-") as scratch:
        folders = []
        for index in range(args.sequences):
            seed = sequence_seed(args.seed, index)
            folder = Path(scratch) / sequence_name(args.seed, index, None)
            write_sequence(generate_sequence(seed, args.frames, config), folder, seed=seed, config=config)
            folders.append(folder)
        crops = list(sequence_crops(folders, new.template_size, new.search_size))
    pairs = (("rgb", old.rgb_stem, new.rgb_stem), ("tir", old.tir_stem, new.tir_stem))
    for modality, old_stem, new_stem in pairs:
        if old_stem is None:
            continue
        images = (crop[0] if modality == "rgb" else crop[1] for crop in crops)
        fit = fit_projection(old_stem, new_stem, images, modality)
        print(f"{modality}: projection fitted on {fit.samples} tokens, R^2 {fit.r_squared:.3f}")
    source_variant = loaded.variant or "custom"
    registered = variant_name(source_variant, stem="real") if source_variant in list_variants() else source_variant
    variant = registered if registered != source_variant else f"{source_variant}+real"
    save_checkpoint(new, args.out, variant, {"stem_transfer_from": args.source.name})
    print(f"wrote {args.out} ({variant})")
    return 0
