"""`tpmri train`: train a variant on synthetic and/or dataset clips (single process, or DDP under torchrun)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tpmri_core.errors import UserError
from tpmri_core.training.config import TrainConfig
from tpmri_core.weights import check_variant

SMOKE = dict(steps=3, batch_size=2, warmup_steps=1, log_every=1, val_every=0, synth_width=256, synth_height=192, synth_pool=2, synth_frames=12)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = subparsers.add_parser(
        "train",
        help="train a model",
        description="Train TPMRI on clips of one template and T consecutive search frames. Multi-GPU: "
        "torchrun --nproc_per_node N -m tpmri_live.tpmri_command train ... (no code changes).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--variant", default=defaults.variant)
    parser.add_argument("--data", action="append", help="clip source: synth, synth:SEED, lasher:ROOT, rgbt234:ROOT, gtot:ROOT, "
                        "rgbt210:ROOT; add @WEIGHT to mix (repeatable; default synth)")
    parser.add_argument("--out", default=defaults.out_dir, help="run folder (checkpoints, log.csv, val.csv, model.safetensors)")
    parser.add_argument("--steps", type=int, help=f"optimiser steps (default {defaults.steps}; 3 with --smoke)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--clip-length", type=int, default=defaults.clip_length, help="search frames per clip (>= 2)")
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--backbone-lr-scale", type=float, default=defaults.backbone_lr_scale)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps)
    parser.add_argument("--clip-grad", type=float, default=defaults.clip_grad)
    parser.add_argument("--weight-average-decay", type=float, default=defaults.weight_average_decay,
                        help="export an exponential moving average of the weights with this decay (0: off; e.g. 0.998)")
    parser.add_argument("--freeze", choices=["none", "backbone"], default=defaults.freeze)
    parser.add_argument("--pretrained", help="local timm/MAE/OSTrack/ViPT or TPMRI weights to start from")
    parser.add_argument("--alpha-weight", type=float, default=defaults.alpha_weight, help="modality-reliability loss weight")
    parser.add_argument("--sensor-failure", type=float, default=defaults.sensor_failure,
                        help="chance per clip that RGB, and separately TIR, fails part-way (0 to 0.5)")
    parser.add_argument("--sensor-style", type=float, default=defaults.sensor_style,
                        help="chance per clip of a camera style: thermal tone curve and polarity, blur, noise (0 to 1)")
    parser.add_argument("--part-targets", type=float, default=defaults.part_targets,
                        help="chance per clip that the box is a part of the target (half of it or more; 0 to 1)")
    parser.add_argument("--loose-boxes", type=float, default=defaults.loose_boxes,
                        help="chance per clip that the box holds background around the target (each side up to 1.5x; 0 to 1)")
    parser.add_argument("--set", action="append", default=[], metavar="ARG=VALUE", help="override a model constructor argument (JSON value)")
    parser.add_argument("--device", default=defaults.device)
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default=defaults.precision,
                        help="auto: bf16 autocast on CUDA, fp32 on CPU; bf16 also speeds up CPUs with AVX512-BF16/AMX")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="clip-making worker processes")
    parser.add_argument("--synth-refresh-every", type=int, default=defaults.synth_refresh_every,
                        help="synthetic clips drawn between two new generated sequences (per worker)")
    parser.add_argument("--checkpoint-every", type=float, default=defaults.checkpoint_every_s, help="seconds")
    parser.add_argument("--val-every", type=int, default=defaults.val_every, help="steps (0: never)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--resume", action="store_true", help="continue the run in --out (exactly: same clips, same weights)")
    parser.add_argument("--stop-at-step", type=int, metavar="STEP",
                        help="end this run after STEP steps with a resumable checkpoint; the schedule still follows --steps")
    parser.add_argument("--smoke", action="store_true", help="a few tiny steps on CPU (for CI)")
    parser.set_defaults(run=run)
    return parser


def _overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UserError(f"--set {pair!r} must look like ARG=VALUE")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    values = dict(
        variant=check_variant(args.variant), model_overrides=_overrides(args.set), data=args.data or ["synth"],
        out_dir=args.out, steps=args.steps or TrainConfig.steps, batch_size=args.batch_size, clip_length=args.clip_length, lr=args.lr,
        backbone_lr_scale=args.backbone_lr_scale, weight_decay=args.weight_decay, warmup_steps=args.warmup_steps,
        clip_grad=args.clip_grad, weight_average_decay=args.weight_average_decay, freeze=args.freeze, pretrained=args.pretrained, alpha_weight=args.alpha_weight,
        sensor_failure=args.sensor_failure, sensor_style=args.sensor_style, part_targets=args.part_targets, loose_boxes=args.loose_boxes,
        device=args.device, precision=args.precision, workers=args.workers, checkpoint_every_s=args.checkpoint_every, val_every=args.val_every,
        seed=args.seed, synth_refresh_every=args.synth_refresh_every,
    )
    if args.smoke:
        values.update(SMOKE, device="cpu", workers=0)
        values["steps"] = args.steps or SMOKE["steps"]
    from tpmri_core.training.trainer import check_data_spec

    for spec in values["data"]:
        check_data_spec(spec)
    if args.pretrained and not Path(args.pretrained).is_file():
        raise UserError(f"--pretrained file {args.pretrained} does not exist")
    try:
        return TrainConfig(**values)
    except ValueError as error:
        raise UserError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from tpmri_core.training.trainer import train

    config = config_from_args(args)
    if args.stop_at_step is not None and args.stop_at_step < 1:
        raise UserError(f"--stop-at-step {args.stop_at_step}: must be at least 1")
    exported = train(config, resume=args.resume, stop_at_step=args.stop_at_step)
    print(f"weights written to {exported}")
    return 0
