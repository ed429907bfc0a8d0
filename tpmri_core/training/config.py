"""Everything a training run is told, in one validated dataclass (saved beside its checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class TrainConfig:
    """A training run.

    Args:
        variant: model variant to build; model_overrides change its constructor arguments.
        data: clip sources, each 'synth', 'synth:SEED' or 'DATASET:ROOT', optionally '@WEIGHT' at the end.
        out_dir: where checkpoints, logs and the exported weights go.
        steps: optimiser steps in all (resuming continues towards the same number).
        batch_size: clips per step and per process.
        clip_length: consecutive search frames per clip (T >= 2: TMR's history is trained as used).
        lr / backbone_lr_scale: AdamW learning rate; ViT blocks and stems use lr * scale (0.1 when fine-tuning
            pretrained weights, 1.0 from scratch).
        warmup_steps: linear warm-up, then cosine decay to lr * min_lr_ratio.
        clip_grad: gradient norm limit.
        weight_average_decay: keep an exponential moving average of the weights and export it instead of
            the raw weights (0: off; 0.998 averages over roughly the last 500 steps). It smooths out the
            step-to-step wander of small-batch training, which on CPU runs moves SR by several points.
        freeze: 'none', or 'backbone' (ViPT-style: ViT blocks, RGB stem and position embeddings frozen;
            TPI, thermal stem and head trained).
        pretrained: a local timm/MAE/OSTrack/ViPT or TPMRI file to start from.
        alpha_weight: weight of the optional modality-reliability loss (see losses.alpha_supervision_loss);
            0 trains alpha from the tracking loss alone, as the paper does.
        sensor_failure: chance per clip that RGB fails part-way (and, separately, the same chance that TIR
            does), so the network learns to track on the other modality alone (see augment.augment_clip).
        sensor_style: chance per clip of a camera style (thermal tone curve and polarity, blur, noise; the
            same for template and search: augment.SensorStyle), so that the weights do not learn one camera's look.
        part_targets: chance per clip that the box is a part of the target (clips.part_of_target), so that the
            weights follow a box around part of an object instead of re-centring on the whole object.
        loose_boxes: chance per clip that the box holds background around the target (clips.loose_box), so
            that the weights keep a given box's margin instead of shrinking it onto the object.
        device: 'auto', 'cpu' or 'cuda'.
        precision: 'auto' (bf16 autocast on CUDA, fp32 on CPU), 'bf16' or 'fp32'. bf16 on CPU pays only on
            processors with bf16 instructions (AVX512-BF16/AMX): 1.4x on the development machine's EPYC.
        workers: clip-making processes per training process (0: make clips in the training process).
        checkpoint_every_s: seconds between resumable checkpoints.
        val_every: steps between quick held-out evaluations (0: never); val_sequences of val_frames frames.
        seed: seeds the model's initialisation, the sampling and the synthetic scenes.
        synth_width / synth_height: size of generated frames.
        synth_pool / synth_frames: generated sequences held in memory at once, and their length.
        synth_refresh_every: clips drawn between two replacements of a pooled sequence (generating frames
            costs more than cropping them: raise it when clip making limits the GPU).
    """

    variant: str = "tpmri-tiny"
    model_overrides: dict = field(default_factory=dict)
    data: list[str] = field(default_factory=lambda: ["synth"])
    out_dir: str = "runs/train"
    steps: int = 20000
    batch_size: int = 16
    clip_length: int = 2
    lr: float = 4e-4
    backbone_lr_scale: float = 1.0
    weight_decay: float = 1e-4
    warmup_steps: int = 500
    min_lr_ratio: float = 0.05
    clip_grad: float = 1.0
    weight_average_decay: float = 0.0
    freeze: str = "none"
    pretrained: str | None = None
    alpha_weight: float = 0.0
    sensor_failure: float = 0.15
    sensor_style: float = 0.0
    part_targets: float = 0.0
    loose_boxes: float = 0.0
    device: str = "auto"
    precision: str = "auto"
    workers: int = 0
    checkpoint_every_s: float = 300.0
    log_every: int = 10
    val_every: int = 500
    val_sequences: int = 6
    val_frames: int = 120
    seed: int = 1
    synth_width: int = 480
    synth_height: int = 360
    synth_pool: int = 12
    synth_frames: int = 80
    synth_refresh_every: int = 24

    def __post_init__(self) -> None:
        if self.clip_length < 2:
            raise ValueError(f"clip_length must be at least 2 (TMR's history), got {self.clip_length}")
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be positive, got {self.steps} and {self.batch_size}")
        if self.freeze not in ("none", "backbone"):
            raise ValueError(f"freeze must be 'none' or 'backbone', got {self.freeze!r}")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {self.precision!r}")
        if not 0.0 <= self.weight_average_decay < 1.0:
            raise ValueError(f"weight_average_decay must be in [0, 1), got {self.weight_average_decay}")
        if not 0.0 <= self.sensor_failure <= 0.5:
            raise ValueError(f"sensor_failure must be in [0, 0.5] (RGB and TIR each), got {self.sensor_failure}")
        if not 0.0 <= self.sensor_style <= 1.0:
            raise ValueError(f"sensor_style must be in [0, 1], got {self.sensor_style}")
        if not 0.0 <= self.part_targets <= 1.0:
            raise ValueError(f"part_targets must be in [0, 1], got {self.part_targets}")
        if not 0.0 <= self.loose_boxes <= 1.0:
            raise ValueError(f"loose_boxes must be in [0, 1], got {self.loose_boxes}")
        if not self.data:
            raise ValueError("at least one --data source is needed")

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        return cls(**values)
