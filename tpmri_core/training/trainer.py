"""The training loop: clips unrolled through TMR, the paper's loss, AdamW with warm-up and cosine decay,
gradient clipping, bf16 autocast on CUDA, DDP under torchrun, an optional moving average of the weights,
resumable checkpoints and CSV logs."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from tqdm import tqdm

from tpmri_core.errors import UserError
from tpmri_core.models.checkpoint import is_tpmri_checkpoint, load_pretrained, load_tpmri_weights, save_checkpoint
from tpmri_core.models.tpmri import TPMRI
from tpmri_core.models.variants import build_model, variant_name
from tpmri_core.tracking.tracker import resolve_device
from tpmri_core.training.augment import AugmentConfig, augment_clip
from tpmri_core.training.batching import ClipBatch, collate_clips, rgb_network_input, tir_network_input
from tpmri_core.training.clips import JitterConfig, crop_clip, loose_box, part_of_target
from tpmri_core.training.config import TrainConfig
from tpmri_core.training.cpu_features import bf16_warning, cpu_flags
from tpmri_core.training.losses import alpha_supervision_loss, tracking_loss
from tpmri_core.training.sources import ClipSource, DatasetClipSource, MixedClipSource, SyntheticClipSource
from tpmri_core.training.validation import quick_validation

RESUME_FILE = "last.pt"
EXPORT_FILE = "model.safetensors"


DATASETS = ("lasher", "rgbt234", "rgbt210", "gtot")


def check_data_spec(spec: str) -> tuple[str, str, float]:
    """Split and check 'synth', 'synth:SEED' or 'DATASET:ROOT' (optionally '@WEIGHT') before training starts."""
    body, _, weight_text = spec.partition("@")
    try:
        weight = float(weight_text) if weight_text else 1.0
    except ValueError:
        raise UserError(f"--data {spec!r}: weight {weight_text!r} is not a number") from None
    if weight <= 0:
        raise UserError(f"--data {spec!r}: weight must be positive")
    name, _, argument = body.partition(":")
    if name == "synth":
        if argument and not argument.isdigit():
            raise UserError(f"--data {spec!r}: the synthetic seed must be a whole number")
    elif name not in DATASETS:
        raise UserError(f"--data {spec!r}: unknown source {name!r}; use synth or one of {', '.join(DATASETS)}")
    elif not argument:
        raise UserError(f"--data {spec!r}: expected {name}:ROOT, the dataset's folder")
    elif not Path(argument).is_dir():
        raise UserError(f"--data {spec!r}: dataset folder {argument} does not exist")
    return name, argument, weight


def parse_data_spec(spec: str, seed: int, config: TrainConfig) -> tuple[ClipSource, float]:
    """The clip source a checked data spec names, and its mixing weight."""
    name, argument, weight = check_data_spec(spec)
    if name == "synth":
        synth_seed = int(argument) if argument else seed
        source = SyntheticClipSource(
            synth_seed, config.synth_pool, config.synth_frames, config.synth_refresh_every,
            width=config.synth_width, height=config.synth_height,
        )
        return source, weight
    split = "train" if name == "lasher" else None
    return DatasetClipSource(name, Path(argument), split), weight


class ClipStream(IterableDataset):
    """Endless augmented clips that depend only on the seed, the rank, the number of loader workers and the step:
    clip j of step k is drawn with its own generator from the scenes its worker holds at that step. A run
    resumed at any step therefore trains on exactly the clips of one that never stopped.

    The loader takes step start_step + i from worker i % workers, so each worker serves one lane of steps
    (those congruent to its lane modulo the worker count) and keeps that lane's pool of synthetic scenes."""

    def __init__(self, config: TrainConfig, template_size: int, search_size: int, rank: int, start_step: int) -> None:
        super().__init__()
        self.config = config
        self.template_size = template_size
        self.search_size = search_size
        self.rank = rank
        self.start_step = start_step

    def __iter__(self) -> Iterator:
        worker = get_worker_info()
        worker_id, workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        lane = (self.start_step + worker_id) % workers
        # Different processes and lanes must not generate the same scenes.
        scene_seed = self.config.seed + 7919 * (1 + self.rank * 64 + lane)
        sources = [parse_data_spec(s, scene_seed, self.config) for s in self.config.data]
        source = MixedClipSource([s for s, _ in sources], [w for _, w in sources])
        jitter = JitterConfig()
        augment = AugmentConfig(failure_probability=self.config.sensor_failure, sensor_style_probability=self.config.sensor_style)
        batch_size = self.config.batch_size
        for step in itertools.count(self.start_step + worker_id, workers):
            for j in range(batch_size):
                source.seek((step // workers) * batch_size + j)
                rng = np.random.default_rng([self.config.seed, self.rank, step, j])
                raw = source.sample(self.config.clip_length, rng)
                if self.config.part_targets > 0 and rng.random() < self.config.part_targets:
                    raw = part_of_target(raw, rng)
                if self.config.loose_boxes > 0 and rng.random() < self.config.loose_boxes:
                    raw = loose_box(raw, rng)
                clip = crop_clip(raw, self.template_size, self.search_size, jitter, rng)
                yield augment_clip(clip, rng, augment)


class ClipUnroller(nn.Module):
    """Runs a batch of clips through the model frame by frame, carrying TMR's state (with gradients), and
    returns the mean loss; DDP wraps this module so that its forward is what gets synchronised."""

    def __init__(self, model: TPMRI, alpha_weight: float) -> None:
        super().__init__()
        self.model = model
        self.alpha_weight = alpha_weight

    def forward(self, batch: ClipBatch) -> tuple[torch.Tensor, torch.Tensor]:
        template = self.model.embed_template(rgb_network_input(batch.template_rgb), tir_network_input(batch.template_tir))
        state = None
        totals, stats = [], []
        for t in range(batch.search_rgb.shape[0]):
            search_rgb, search_tir = rgb_network_input(batch.search_rgb[t]), tir_network_input(batch.search_tir[t])
            output = self.model.forward_with_template(template, search_rgb, search_tir, state)
            state = output.state
            terms = tracking_loss(output.maps, batch.targets_cxcywh[t])
            alpha_loss = alpha_supervision_loss(output.alpha, batch.rgb_broken[t], batch.tir_broken[t])
            totals.append(terms.total + self.alpha_weight * alpha_loss)
            stats.append(torch.stack([terms.focal, terms.giou, terms.l1, alpha_loss]).detach().float())
        return torch.stack(totals).mean(), torch.stack(stats).mean(dim=0)


def _single_threaded_worker(worker_id: int) -> None:
    """Clip workers are already one per core; torch or OpenCV threads inside them would only compete."""
    import cv2

    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _learning_rate_factor(step: int, config: TrainConfig) -> float:
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine


def _autocast(device: torch.device, precision: str) -> torch.autocast:
    """bf16 autocast where asked for, and by default on CUDA; weights and optimiser state stay fp32."""
    use_bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)


def _is_backbone(name: str) -> bool:
    return name.startswith(("blocks.", "norm.", "rgb_stem.", "pos_template", "pos_search"))


def _build_model(config: TrainConfig) -> TPMRI:
    try:
        model = build_model(config.variant, **config.model_overrides)
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"cannot build variant {config.variant!r}: {error}") from None
    missing = set(model.state_dict())
    if config.pretrained:
        path = Path(config.pretrained)
        report = load_tpmri_weights(model, path) if is_tpmri_checkpoint(path) else load_pretrained(model, path)
        print(report.summary())
        missing = set(report.missing)
    if model.model_args.get("stem") == "real" and any(".features." in name for name in missing):
        raise UserError(
            f"variant {config.variant!r} has NanoTrack's frozen backbone as its stem and nothing set its weights: "
            "start from a checkpoint that holds them (--pretrained, e.g. one written by `tpmri stem-transfer`)"
        )
    if config.freeze == "backbone":
        for name, parameter in model.named_parameters():
            if _is_backbone(name):
                parameter.requires_grad_(False)
    return model


def _weight_average(model: TPMRI, decay: float) -> AveragedModel | None:
    """A moving average of the weights (and buffers) for export; its first update copies the model."""
    if decay == 0.0:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def _optimizer(model: TPMRI, config: TrainConfig) -> torch.optim.Optimizer:
    backbone = [p for n, p in model.named_parameters() if p.requires_grad and _is_backbone(n)]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and not _is_backbone(n)]
    groups = [{"params": rest, "lr": config.lr}]
    if backbone:
        groups.append({"params": backbone, "lr": config.lr * config.backbone_lr_scale})
    return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)


class _CsvLog:
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        if not path.exists():
            with path.open("w", newline="") as handle:
                csv.writer(handle).writerow(columns)

    def drop_after(self, step: int) -> None:
        """Forget rows logged after a checkpoint's step: a resumed run logs those steps again."""
        with self.path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) <= step]
        with self.path.open("w", newline="") as handle:
            csv.writer(handle).writerows(kept)

    def write(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([row[c] for c in self.columns])


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) under torchrun; (0, 1, 0) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))


def train(config: TrainConfig, resume: bool = False, show_progress: bool = True, stop_at_step: int | None = None) -> Path:
    """Run (or resume) a training run; returns the exported weights' path. stop_at_step ends it early with a
    resumable checkpoint (for machines that are only lent for a while); resuming continues it exactly."""
    rank, world, local_rank = _distributed()
    device = resolve_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)

    model = _build_model(config).to(device)
    optimizer = _optimizer(model, config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _learning_rate_factor(step, config))
    # Only rank 0 validates and saves, so only it keeps the average (DDP keeps the weights equal on every rank).
    averaged = _weight_average(model, config.weight_average_decay) if rank == 0 else None
    start_step = 0
    resume_path = out_dir / RESUME_FILE
    if resume and resume_path.exists():
        saved = torch.load(resume_path, map_location=device, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        if averaged is not None and "weight_average" in saved:
            averaged.load_state_dict(saved["weight_average"])
        start_step = int(saved["step"])
        if "torch_rng" in saved:
            torch.set_rng_state(saved["torch_rng"].cpu())
        if rank == 0:
            print(f"resuming {out_dir} at step {start_step}")
            _report_changed_settings(out_dir / "config.json", config)
    elif rank == 0:
        (out_dir / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2))

    unroller: nn.Module = ClipUnroller(model, config.alpha_weight)
    if world > 1:
        unroller = nn.parallel.DistributedDataParallel(unroller, device_ids=[device.index] if device.type == "cuda" else None)
    stream = ClipStream(config, model.template_size, model.search_size, rank, start_step)
    loader = DataLoader(
        stream,
        batch_size=config.batch_size,
        collate_fn=collate_clips,
        num_workers=config.workers,
        persistent_workers=config.workers > 0,
        prefetch_factor=4 if config.workers > 0 else None,
        pin_memory=device.type == "cuda",
        worker_init_fn=_single_threaded_worker,
        # Forking a process whose OpenMP threads have run (an earlier run, a validation) can deadlock the child.
        multiprocessing_context="spawn" if config.workers > 0 else None,
    )
    if rank == 0 and device.type == "cpu" and config.precision == "bf16":
        warning = bf16_warning(cpu_flags())
        if warning:
            print(warning, file=sys.stderr)
    autocast = _autocast(device, config.precision)
    log = _CsvLog(out_dir / "log.csv", ["step", "loss", "focal", "giou", "l1", "alpha_loss", "lr", "clips_per_s", "elapsed_s"]) if rank == 0 else None
    val_log = _CsvLog(out_dir / "val.csv", ["step", "sr", "pr", "elapsed_s"]) if rank == 0 else None
    for csv_log in (log, val_log):
        if csv_log is not None:
            csv_log.drop_after(start_step)

    exported: TPMRI = model if averaged is None else averaged.module
    started = last_checkpoint = last_log = time.time()
    progress = tqdm(total=config.steps, initial=start_step, disable=rank != 0 or not show_progress, mininterval=5, dynamic_ncols=True)
    running = torch.zeros(5)
    last_logged_step = start_step  # a resumed run's first window can be shorter than log_every
    batches = iter(loader)
    model.train()
    step = start_step
    last_step = config.steps if stop_at_step is None else max(start_step, min(stop_at_step, config.steps))
    for step in range(start_step, last_step):
        batch = next(batches).to(device)
        with autocast:
            loss, stats = unroller(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
        optimizer.step()
        scheduler.step()
        if averaged is not None:
            averaged.update_parameters(model)
        running += torch.cat([loss.detach().float().cpu().view(1), stats.cpu()])
        progress.update(1)
        done = step + 1
        if log is not None and done % config.log_every == 0:
            now = time.time()
            window = done - last_logged_step
            mean = (running / window).tolist()
            running.zero_()
            log.write(dict(step=done, loss=round(mean[0], 5), focal=round(mean[1], 5), giou=round(mean[2], 5), l1=round(mean[3], 5),
                           alpha_loss=round(mean[4], 5), lr=f"{scheduler.get_last_lr()[0]:.3g}",
                           clips_per_s=round(window * config.batch_size * world / (now - last_log), 2),
                           elapsed_s=round(now - started, 1)))
            progress.set_postfix(loss=f"{mean[0]:.3f}")
            last_log, last_logged_step = now, done
        if val_log is not None and config.val_every and done % config.val_every == 0:
            score = quick_validation(exported, config.val_sequences, config.val_frames, device)
            val_log.write(dict(step=done, sr=round(score.sr, 2), pr=round(score.pr, 2), elapsed_s=round(time.time() - started, 1)))
            model.train()
        if rank == 0 and (time.time() - last_checkpoint > config.checkpoint_every_s or done == last_step):
            _save_resumable(resume_path, model, optimizer, scheduler, done, averaged)
            save_checkpoint(exported, out_dir / EXPORT_FILE, variant_name(config.variant, **config.model_overrides), _export_metadata(config, done))
            last_checkpoint = time.time()
    progress.close()
    if world > 1:
        dist.barrier()
    return out_dir / EXPORT_FILE


def _report_changed_settings(saved_config: Path, config: TrainConfig) -> None:
    """Say which settings differ from the run's config.json: only the same command resumes a run exactly."""
    if not saved_config.exists():
        return
    before = json.loads(saved_config.read_text())
    now = json.loads(json.dumps(dataclasses.asdict(config)))
    changed = [f"{key} {before.get(key)!r} -> {value!r}" for key, value in now.items() if before.get(key) != value]
    if changed:
        print(f"note: resuming with settings that differ from {saved_config}: {'; '.join(changed)}")


def _save_resumable(
    path: Path, model: TPMRI, optimizer: torch.optim.Optimizer, scheduler: object, step: int, averaged: AveragedModel | None
) -> None:
    partial = path.with_suffix(".tmp")
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
             "torch_rng": torch.get_rng_state()}
    if averaged is not None:
        state["weight_average"] = averaged.state_dict()
    torch.save(state, partial)
    partial.replace(path)


def _export_metadata(config: TrainConfig, step: int) -> dict[str, str]:
    return {"trained_steps": str(step), "train_data": ",".join(config.data), "train_seed": str(config.seed)}
