"""generate_sequence: plan a whole synthetic RGB-T sequence from a seed, then render it frame by frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from tpmri_core.data.synth.backgrounds import Background, build_background
from tpmri_core.data.synth.canvas import TEMPERATURE_DIVISOR
from tpmri_core.data.synth.camera import CameraPath, sample_camera_path
from tpmri_core.data.synth.compose import (
    Patch,
    Placement,
    add_glare,
    box_in_frame,
    motion_blur,
    paste_heat,
    paste_rgb,
    sprite_to_frame,
)
from tpmri_core.data.synth.config import KIND_WEIGHTS, LARGE_TARGET_FRACTION, SynthConfig
from tpmri_core.data.synth.designs import Design, resemble, sample_occluder_design, sample_target_design
from tpmri_core.data.synth.events import ACTIVE_LEVEL, EventPlan, clean_lead_in, plan_events
from tpmri_core.data.synth.frame import SynthFrame
from tpmri_core.data.synth.motion import (
    Path,
    distance_in_sizes,
    sample_distractor_path,
    sample_follower_path,
    sample_occluder_path,
    sample_target_path,
)
from tpmri_core.data.synth.rgb_camera import RgbCamera, sample_rgb_camera
from tpmri_core.data.synth.sprites import Sprite, mean_temperature_k, render_sprite, with_heat_offset
from tpmri_core.data.synth.thermal_camera import AgcState, ThermalCamera, compose_affine, sample_thermal_camera
from tpmri_core.data.synth.weather import Weather, sample_weather

OCCLUSION_COVERAGE = 0.3
"""Fraction of the target's box an occluder must cover for the frame to count as occluded."""
DISTRACTOR_NEAR = 1.5
"""A look-alike within this many target sizes of the target counts as a distractor event."""
COMPANION_KEEP_AWAY = 1.9
"""In forced scenarios other than "distractor", companions keep at least this many target sizes away."""
MAX_COMPANIONS = 4

# Per kind: how freely it moves vertically, and how many body sizes one motion cycle covers.
_VERTICAL_FREEDOM = {
    "person": (0.2, 0.6),
    "vehicle": (0.05, 0.4),
    "animal": (0.2, 0.6),
    "bike": (0.1, 0.5),
    "object": (0.5, 1.0),
}
_CYCLE_SIZES = {"person": 1.2, "vehicle": 1.0, "animal": 1.0, "bike": 1.6, "object": 1.0}


@dataclass(frozen=True)
class _Actor:
    sprite: Sprite
    path: Path


@dataclass(frozen=True)
class _Plan:
    """Everything about a sequence that is fixed before the first frame."""

    background: Background
    camera: CameraPath
    rgb_camera: RgbCamera
    thermal_camera: ThermalCamera
    events: EventPlan
    target: _Actor
    distractor: _Actor | None
    distractor_in_front: bool
    occluder: _Actor | None
    softness_px: float
    companions: tuple[_Actor, ...] = ()
    exposure: float = 0.5


def _contrast_offset(
    rng: np.random.Generator, target_k: float, background: Background, min_contrast_k: tuple[float, float]
) -> float:
    """Kelvin to add to the target so that it is warmer than most of the background (colder in a few
    sequences) by at least a drawn minimum: outside crossover events, the thermal view must show it.
    """
    warm = rng.random() < 0.85
    reference_k = float(np.percentile(background.temperature_k, 80 if warm else 20))
    sign = 1.0 if warm else -1.0
    least = rng.uniform(*min_contrast_k)
    contrast = sign * (target_k - reference_k)
    return sign * (least - contrast) if contrast < least else 0.0


def _horizon_in_frame(background: Background, camera: CameraPath) -> float | None:
    """Frame row of the background's horizon as the first frame sees it."""
    if background.horizon_y is None:
        return None
    canvas_x = background.rgba.shape[1] / 2
    return float(camera.canvas_to_frame[0, 1] @ np.array([canvas_x, background.horizon_y, 1.0]))


def _plan(seed: int, num_frames: int, config: SynthConfig) -> tuple[_Plan, np.random.Generator]:
    # One stream per concern: the same seed with another scenario changes only the event-specific parts,
    # so a sequence and its "clean" twin differ exactly where the event acts.
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(10)]
    (
        scene_rng,
        camera_rng,
        target_rng,
        motion_rng,
        event_rng,
        distractor_rng,
        occluder_rng,
        sensor_rng,
        frame_rng,
        crowd_rng,
    ) = streams
    frame_wh = (config.width, config.height)
    weather = sample_weather(scene_rng, config.ambient_c, config.night_probability)
    margin = 1.0 + 0.5 * min(config.camera_motion, 1.0)
    canvas_wh = (int(np.ceil(config.width * margin)) + 2, int(np.ceil(config.height * margin)) + 2)
    background = build_background(scene_rng, canvas_wh, weather, config.lamp_count)
    camera = sample_camera_path(camera_rng, num_frames, canvas_wh, frame_wh, config.camera_motion)

    weights = np.array([KIND_WEIGHTS[name] for name in config.target_kinds])
    kind = config.target_kinds[int(target_rng.choice(len(config.target_kinds), p=weights / weights.sum()))]
    design = sample_target_design(target_rng, kind, weather)
    sprite = render_sprite(design, target_rng)
    heat_offset_k = _contrast_offset(target_rng, mean_temperature_k(sprite), background, config.min_thermal_contrast_k)
    sprite = with_heat_offset(sprite, heat_offset_k)
    boxes = np.array([pose.box_xyxy for pose in sprite.poses])
    box_w = float(np.max(boxes[:, 2] - boxes[:, 0]))
    box_h = float(np.max(boxes[:, 3] - boxes[:, 1]))
    path = sample_target_path(
        motion_rng,
        num_frames,
        frame_wh,
        config.target_size_range_px,
        config.max_speed_px,
        aspect_wh=box_w / box_h,
        vertical_freedom=motion_rng.uniform(*_VERTICAL_FREEDOM[kind]),
        cycle_sizes=_CYCLE_SIZES[kind],
        zoom=camera.zoom,
        ground_y=_horizon_in_frame(background, camera) if kind != "object" else None,
        large_probability=config.large_target_probability,
        large_fraction=LARGE_TARGET_FRACTION,
    )
    events = plan_events(event_rng, num_frames, config.scenario, config.event_probability)

    distractor = None
    if events.distractor_windows:
        look_alike = with_heat_offset(render_sprite(resemble(design, distractor_rng), distractor_rng), heat_offset_k)
        distractor_path = sample_distractor_path(
            distractor_rng, path, events.distractor_windows, frame_wh, _CYCLE_SIZES[kind]
        )
        # A large target leaves little room in the frame: the walk-in must not come near during the lead-in.
        early = (np.arange(num_frames) < clean_lead_in(num_frames)) & (
            distance_in_sizes(distractor_path, path) < COMPANION_KEEP_AWAY
        )
        distractor_path = dataclasses.replace(distractor_path, present=distractor_path.present & ~early)
        distractor = _Actor(look_alike, distractor_path)
    occluder = None
    if events.occlusion_windows:
        occluder_design = sample_occluder_design(occluder_rng, weather)
        occluder_sprite = render_sprite(occluder_design, occluder_rng)
        width, height = occluder_design.canvas_wh
        if occluder_design.kind == "pole":
            size = float(np.max(path.size)) * occluder_rng.uniform(2.5, 4.0)
        else:
            size = float(np.max(path.size)) * occluder_rng.uniform(1.3, 2.5)
        occluder_path = sample_occluder_path(occluder_rng, path, events.occlusion_windows, size, width / height)
        occluder = _Actor(occluder_sprite, occluder_path)

    companions = _companions(crowd_rng, config, kind, design, heat_offset_k, path, weather, camera, background)
    rgb_camera = sample_rgb_camera(sensor_rng, frame_wh, config.rgb_noise, weather.night)
    thermal_camera = sample_thermal_camera(
        sensor_rng,
        frame_wh,
        config.thermal_downscale,
        config.thermal_noise_k,
        config.thermal_blur_px,
        config.misregistration_px,
        config.misregistration_scale,
        config.black_hot_probability,
        config.band_lag_frames,
        config.parallax_px,
    )
    plan = _Plan(
        background=background,
        camera=camera,
        rgb_camera=rgb_camera,
        thermal_camera=thermal_camera,
        events=events,
        target=_Actor(sprite, path),
        distractor=distractor,
        distractor_in_front=bool(distractor_rng.random() < 0.4),
        occluder=occluder,
        softness_px=float(target_rng.uniform(0.0, 1.0)),
        companions=companions,
        exposure=float(sensor_rng.uniform(0.6, 1.0)) if weather.night else 0.5,
    )
    return plan, frame_rng


def _companions(
    rng: np.random.Generator,
    config: SynthConfig,
    kind: str,
    design: Design,
    heat_offset_k: float,
    target: Path,
    weather: Weather,
    camera: CameraPath,
    background: Background,
) -> tuple[_Actor, ...]:
    """Others like the target in view: a group of people, a queue or row of cars (real street scenes seldom
    show one person alone). Some move with the target, some on their own; some look almost the same,
    some are other people or cars of the same kind. In forced scenarios other than "distractor" they keep
    away from the target, so those scenarios keep their single event.
    """
    if rng.random() >= config.companion_probability:
        return ()
    keep_away = config.scenario is not None and config.scenario != "distractor"
    num_frames = len(target.size)
    # Away from the target during the clean lead-in (and always, where keep_away), closing in over 15 frames.
    lead_in = clean_lead_in(num_frames)
    min_gap = COMPANION_KEEP_AWAY * np.clip((lead_in + 15 - np.arange(num_frames)) / 15.0, 0.0, 1.0)
    if keep_away:
        min_gap[:] = COMPANION_KEEP_AWAY
    frame_wh = (config.width, config.height)
    actors = []
    for _ in range(int(rng.integers(1, MAX_COMPANIONS + 1))):
        look = resemble(design, rng, strength=2.0) if rng.random() < 0.5 else sample_target_design(rng, kind, weather)
        sprite = with_heat_offset(render_sprite(look, rng), heat_offset_k)
        if rng.random() < 0.6:
            path = sample_follower_path(rng, target, _CYCLE_SIZES[kind], min_gap)
        else:
            boxes = np.array([pose.box_xyxy for pose in sprite.poses])
            aspect = float(np.max(boxes[:, 2] - boxes[:, 0]) / np.max(boxes[:, 3] - boxes[:, 1]))
            low, high = config.target_size_range_px
            size_range = (low, float(np.clip(np.median(target.size) * 1.6, low * 1.5, high)))
            path = sample_target_path(
                rng,
                num_frames,
                frame_wh,
                size_range,
                config.max_speed_px,
                aspect_wh=aspect,
                vertical_freedom=rng.uniform(*_VERTICAL_FREEDOM[kind]),
                cycle_sizes=_CYCLE_SIZES[kind],
                zoom=camera.zoom,
                ground_y=_horizon_in_frame(background, camera) if kind != "object" else None,
            )
            if np.any(distance_in_sizes(path, target) < min_gap):
                continue
        actors.append(_Actor(sprite, path))
    return tuple(actors)


def _placement(actor: _Actor, index: int, shake_xy: np.ndarray, lag_frames: float = 0.0) -> Placement:
    """Where the actor is drawn on a frame; lag_frames > 0 gives where it was that much of a frame earlier."""
    path = actor.path
    centre = path.centre_xy[index] + shake_xy
    if lag_frames > 0.0 and index > 0:
        centre = centre + lag_frames * (path.centre_xy[index - 1] - path.centre_xy[index])
    return Placement(
        centre_xy=(float(centre[0]), float(centre[1])),
        size=float(path.size[index]),
        facing_left=bool(path.facing_left[index]),
    )


def _clip_box(
    box_xywh: tuple[float, float, float, float], frame_wh: tuple[int, int]
) -> tuple[float, float, float, float]:
    x, y, w, h = box_xywh
    x0, y0 = min(max(x, 0.0), frame_wh[0] - 1.0), min(max(y, 0.0), frame_wh[1] - 1.0)
    x1, y1 = min(max(x + w, x0 + 1.0), float(frame_wh[0])), min(max(y + h, y0 + 1.0), float(frame_wh[1]))
    return round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)


def _covered_fraction(
    patch_alpha: np.ndarray, patch_x0: int, patch_y0: int, box_xywh: tuple[float, float, float, float]
) -> float:
    x, y, w, h = box_xywh
    bx0, by0, bx1, by1 = int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))
    height, width = patch_alpha.shape
    ix0, iy0 = max(bx0, patch_x0), max(by0, patch_y0)
    ix1, iy1 = min(bx1, patch_x0 + width), min(by1, patch_y0 + height)
    if ix1 <= ix0 or iy1 <= iy0:
        return 0.0
    covered = float(patch_alpha[iy0 - patch_y0 : iy1 - patch_y0, ix0 - patch_x0 : ix1 - patch_x0].sum())
    return covered / max((bx1 - bx0) * (by1 - by0), 1)


def _surrounding_temperature(
    scene_k: np.ndarray, box_xywh: tuple[float, float, float, float], frame_to_sensor: np.ndarray
) -> float:
    """Mean background temperature in a window twice the target's size, before anything is pasted."""
    x, y, w, h = box_xywh
    (sx0, sy0), (sx1, sy1) = (
        np.array([[x - w / 2, y - h / 2, 1.0], [x + 1.5 * w, y + 1.5 * h, 1.0]]) @ frame_to_sensor.T
    )
    height, width = scene_k.shape
    ix0, iy0 = int(np.clip(np.floor(sx0), 0, width - 1)), int(np.clip(np.floor(sy0), 0, height - 1))
    ix1, iy1 = int(np.clip(np.ceil(sx1), ix0 + 1, width)), int(np.clip(np.ceil(sy1), iy0 + 1, height))
    return float(scene_k[iy0:iy1, ix0:ix1].mean())


def _render(
    plan: _Plan, index: int, frame_rng: np.random.Generator, agc: AgcState | None
) -> tuple[SynthFrame, AgcState]:
    thermal = plan.thermal_camera
    frame_wh = thermal.frame_wh
    canvas_to_frame = plan.camera.canvas_to_frame[index]
    shake = plan.camera.shake_xy[index]
    scene_rgba = cv2.warpAffine(
        plan.background.rgba, canvas_to_frame, frame_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    scene_rgb = cv2.cvtColor(scene_rgba, cv2.COLOR_RGBA2RGB)
    if index > 0:  # the background smears along a camera pan (longer exposures at night smear more)
        pan = canvas_to_frame[:, 2] - plan.camera.canvas_to_frame[index - 1][:, 2]
        scene_rgb = np.ascontiguousarray(motion_blur(scene_rgb, (float(pan[0]), float(pan[1])), plan.exposure))
    frame_to_sensor = thermal.frame_to_sensor
    temperature_to_canvas = np.array(
        [
            [TEMPERATURE_DIVISOR, 0.0, 0.5 * TEMPERATURE_DIVISOR - 0.5],
            [0.0, TEMPERATURE_DIVISOR, 0.5 * TEMPERATURE_DIVISOR - 0.5],
        ]
    )
    # The thermal frame sees the world lag_frames earlier (the two cameras are not triggered together) and
    # things on the ground nearer than the calibration plane parallax_xy further along the baseline.
    previous = max(index - 1, 0)
    lag = thermal.lag_frames
    canvas_to_tir_frame = canvas_to_frame + lag * (plan.camera.canvas_to_frame[previous] - canvas_to_frame)
    shake_tir = shake + lag * (plan.camera.shake_xy[previous] - shake) + np.asarray(thermal.parallax_xy)
    to_sensor = compose_affine(frame_to_sensor, compose_affine(canvas_to_tir_frame, temperature_to_canvas))
    scene_k = cv2.warpAffine(
        plan.background.temperature_k,
        to_sensor,
        thermal.sensor_wh,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    )

    crossover = float(plan.events.crossover[index])
    target_placement = _placement(plan.target, index, shake)
    target_pose = plan.target.sprite.pose_at(float(plan.target.path.phase[index]))
    box_rgb = box_in_frame(target_pose, sprite_to_frame(plan.target.sprite, target_placement))
    target_placement_tir = _placement(plan.target, index, shake_tir, lag)
    box_tir_unregistered = box_in_frame(target_pose, sprite_to_frame(plan.target.sprite, target_placement_tir))

    surrounding_k = (
        _surrounding_temperature(scene_k, box_tir_unregistered, frame_to_sensor) if crossover > 0.0 else 0.0
    )

    def draw_target() -> None:
        paste_rgb(
            scene_rgb,
            plan.target.sprite,
            target_pose,
            target_placement,
            tuple(plan.target.path.speed_xy[index]),
            plan.softness_px,
            plan.exposure,
        )
        add_glare(scene_rgb, plan.target.sprite, target_placement)
        paste_heat(
            scene_k, plan.target.sprite, target_pose, target_placement_tir, frame_to_sensor, crossover, surrounding_k
        )

    def draw(actor: _Actor) -> Patch | None:
        placement = _placement(actor, index, shake)
        pose = actor.sprite.pose_at(float(actor.path.phase[index]))
        speed = tuple(actor.path.speed_xy[index])
        patch = paste_rgb(scene_rgb, actor.sprite, pose, placement, speed, plan.softness_px, plan.exposure)
        add_glare(scene_rgb, actor.sprite, placement)
        paste_heat(scene_k, actor.sprite, pose, _placement(actor, index, shake_tir, lag), frame_to_sensor)
        return patch

    distractor_near = False
    for companion in plan.companions:
        draw(companion)
        if distance_in_sizes_at(companion.path, plan.target.path, index) < DISTRACTOR_NEAR:
            distractor_near = True
    distractor = plan.distractor
    distractor_present = distractor is not None and bool(distractor.path.present[index])
    if distractor_present and not plan.distractor_in_front:
        draw(distractor)
    draw_target()
    if distractor_present and plan.distractor_in_front:
        draw(distractor)
    if distractor_present and distance_in_sizes_at(distractor.path, plan.target.path, index) < DISTRACTOR_NEAR:
        distractor_near = True
    occluded = False
    if plan.occluder is not None and plan.occluder.path.present[index]:
        patch = draw(plan.occluder)
        if patch is not None:
            occluded = _covered_fraction(patch.alpha, patch.x0, patch.y0, box_rgb) >= OCCLUSION_COVERAGE

    darkness = float(plan.events.darkness[index])
    overexposure = float(plan.events.overexposure[index])
    rgb = plan.rgb_camera.expose(scene_rgb, darkness, overexposure, frame_rng)
    tir, tir_raw, agc = thermal.capture(scene_k, agc, frame_rng)

    events = {
        "darkness": darkness >= ACTIVE_LEVEL,
        "overexposure": overexposure >= ACTIVE_LEVEL,
        "crossover": crossover >= ACTIVE_LEVEL,
        "occlusion": occluded,
        "distractor": distractor_near,
    }
    frame = SynthFrame(
        rgb=rgb,
        tir=tir,
        tir_raw=tir_raw,
        box_xywh_rgb=_clip_box(box_rgb, frame_wh),
        box_xywh_tir=_clip_box(thermal.box_in_tir(box_tir_unregistered), frame_wh),
        events=frozenset(name for name, active in events.items() if active),
        index=index,
    )
    return frame, agc


def distance_in_sizes_at(path: Path, target: Path, index: int) -> float:
    """Centre distance from the target on one frame, in target sizes."""
    gap = float(np.hypot(*(path.centre_xy[index] - target.centre_xy[index])))
    return gap / max(float(target.size[index]), 1.0)


def _frames(seed: int, num_frames: int, config: SynthConfig) -> Iterator[SynthFrame]:
    if num_frames == 0:
        return
    plan, frame_rng = _plan(seed, num_frames, config)
    agc = None
    for index in range(num_frames):
        frame, agc = _render(plan, index, frame_rng, agc)
        yield frame


def generate_sequence(seed: int, num_frames: int, config: SynthConfig | None = None) -> Iterator[SynthFrame]:
    """Frames of one synthetic sequence, rendered lazily; identical for identical (seed, num_frames, config).

    The first frames are always free of events, so a tracker can be initialised on frame 0.
    """
    if num_frames < 0:
        raise ValueError(f"num_frames must be >= 0, got {num_frames}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return _frames(int(seed), int(num_frames), config or SynthConfig())
