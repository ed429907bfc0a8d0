"""What the synthetic RGB-T generator can vary, and the names of the scripted events it records."""

from __future__ import annotations

from dataclasses import dataclass

EVENT_NAMES: tuple[str, ...] = ("darkness", "overexposure", "crossover", "occlusion", "distractor")
"""Events in a fixed order; events.csv has one column per name in this order."""

SCENARIOS: tuple[str, ...] = (*EVENT_NAMES, "clean")
"""Values `SynthConfig.scenario` accepts besides None (a random mix)."""

TARGET_KINDS: tuple[str, ...] = ("person", "vehicle", "animal", "bike", "object")

KIND_WEIGHTS: dict[str, float] = {"person": 0.35, "vehicle": 0.3, "bike": 0.15, "animal": 0.1, "object": 0.1}
"""How often each kind is the target (renormalised over `SynthConfig.target_kinds`): people and cars are most
of what LLVIP, RoadScene and LasHeR track; animals and objects keep the model from learning two shapes only."""

DEFAULT_TARGET_SIZE_PX: tuple[float, float] = (15.0, 240.0)
"""Range of the target's longer side in a 480x360 frame: from a distant walker (15 px, as in LLVIP's far
pedestrians) to a car filling half the frame (RoadScene's nearest cars are 200-260 px wide at this scale).
Sizes are drawn log-uniformly, plus a share of large targets (`SynthConfig.large_target_probability`)."""

LARGE_TARGET_FRACTION = 0.55
"""A "large" target's longer side starts between this fraction of the largest size and the largest."""


def _check_range(name: str, value: tuple[float, float], low: float, high: float) -> None:
    if len(value) != 2 or not low <= value[0] <= value[1] <= high:
        raise ValueError(f"SynthConfig.{name} must be (min, max) with {low} <= min <= max <= {high}, got {value}")


@dataclass(frozen=True)
class SynthConfig:
    """Every knob of the generator; the defaults give the training and evaluation domain.

    Args:
        width, height: frame size in pixels (both modalities share the RGB grid).
        scenario: one event type forced over a large part of every sequence ("darkness", ..., or
            "clean" for none); None draws a random mix of events at random times.
        event_probability: in a random mix, the chance that each event type appears in a sequence.
        target_size_px: range of the target's longer side in pixels; None scales DEFAULT_TARGET_SIZE_PX
            (meant for 480x360) to the frame size.
        max_speed_px: fastest target motion in pixels per frame (below it, speeds follow LasHeR's in box
            sizes per frame: see motion.py).
        camera_motion: 0 for a fixed camera, 1 for the default pans, zooms and shake.
        target_kinds: target families to draw from (see TARGET_KINDS).
        ambient_c: ambient temperature range in degrees Celsius.
        min_thermal_contrast_k: range of the least difference between the target's mean apparent
            temperature and the background's median outside crossover events (drawn per sequence).
        thermal_downscale: the thermal sensor's resolution as a divisor of the frame size.
        thermal_noise_k: temporal noise (NETD-like) range of the thermal sensor, in kelvin.
        thermal_blur_px: optics blur range in sensor pixels (Gaussian sigma).
        misregistration_px: largest residual RGB/TIR shift in frame pixels (constant per sequence).
        misregistration_scale: largest residual relative scale difference between RGB and TIR.
        rgb_noise: range of the visible camera's noise sigma in 8-bit levels, in good light.
        large_target_probability: share of sequences whose target starts large (LARGE_TARGET_FRACTION
            of the largest size or more): near cars and people, which real driving scenes are full of.
        night_probability: share of sequences at night: dark RGB lit by street lamps (glowing lamps,
            lit windows, head and tail lights on), no sun in the thermal scene.
        black_hot_probability: share of sequences whose thermal view shows hot as black.
        companion_probability: share of sequences with other people or vehicles like the target in
            view (groups walking together, queues of cars); near the target they count as distractors.
        lamp_count: range of street lamps and other small hot fixtures in the scene.
        band_lag_frames: largest delay of the thermal capture behind the RGB one, in frames (half the
            sequences have none): moving things and pans shift between the bands.
        parallax_px: largest extra horizontal shift in thermal of targets and companions against the
            registered background (they stand off the calibration plane).
    """

    width: int = 480
    height: int = 360
    scenario: str | None = None
    event_probability: float = 0.45
    target_size_px: tuple[float, float] | None = None
    max_speed_px: float = 16.0
    camera_motion: float = 1.0
    target_kinds: tuple[str, ...] = TARGET_KINDS
    ambient_c: tuple[float, float] = (-5.0, 35.0)
    min_thermal_contrast_k: tuple[float, float] = (3.0, 8.0)
    thermal_downscale: tuple[float, float] = (2.0, 4.0)
    thermal_noise_k: tuple[float, float] = (0.02, 0.15)
    thermal_blur_px: tuple[float, float] = (0.4, 1.2)
    misregistration_px: float = 5.0
    misregistration_scale: float = 0.03
    rgb_noise: tuple[float, float] = (1.0, 4.0)
    large_target_probability: float = 0.25
    night_probability: float = 0.4
    black_hot_probability: float = 0.2
    companion_probability: float = 0.45
    lamp_count: tuple[int, int] = (0, 8)
    band_lag_frames: float = 0.6
    parallax_px: float = 3.0

    def __post_init__(self) -> None:
        if not (64 <= self.width <= 4096 and 64 <= self.height <= 4096):
            raise ValueError(f"SynthConfig frame size {self.width}x{self.height} must be within 64..4096 pixels")
        if self.scenario is not None and self.scenario not in SCENARIOS:
            raise ValueError(f"SynthConfig.scenario {self.scenario!r} is not one of {', '.join(SCENARIOS)}")
        if not 0.0 <= self.event_probability <= 1.0:
            raise ValueError(f"SynthConfig.event_probability {self.event_probability} must be in [0, 1]")
        if self.target_size_px is not None:
            _check_range("target_size_px", self.target_size_px, 4.0, min(self.width, self.height) * 0.8)
        if not 0.0 <= self.max_speed_px <= 100.0:
            raise ValueError(f"SynthConfig.max_speed_px {self.max_speed_px} must be in [0, 100]")
        if not 0.0 <= self.camera_motion <= 3.0:
            raise ValueError(f"SynthConfig.camera_motion {self.camera_motion} must be in [0, 3]")
        unknown = [kind for kind in self.target_kinds if kind not in TARGET_KINDS]
        if not self.target_kinds or unknown:
            raise ValueError(
                f"SynthConfig.target_kinds must be a non-empty subset of {TARGET_KINDS}, got {self.target_kinds}"
            )
        _check_range("ambient_c", self.ambient_c, -40.0, 60.0)
        _check_range("min_thermal_contrast_k", self.min_thermal_contrast_k, 0.0, 50.0)
        _check_range("thermal_downscale", self.thermal_downscale, 1.0, 8.0)
        _check_range("thermal_noise_k", self.thermal_noise_k, 0.0, 5.0)
        _check_range("thermal_blur_px", self.thermal_blur_px, 0.0, 5.0)
        _check_range("rgb_noise", self.rgb_noise, 0.0, 50.0)
        for name in ("large_target_probability", "night_probability", "black_hot_probability", "companion_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"SynthConfig.{name} {getattr(self, name)} must be in [0, 1]")
        low, high = self.lamp_count
        if not 0 <= low <= high <= 64:
            raise ValueError(
                f"SynthConfig.lamp_count must be (min, max) with 0 <= min <= max <= 64, got {self.lamp_count}"
            )
        if not 0.0 <= self.band_lag_frames <= 2.0:
            raise ValueError(f"SynthConfig.band_lag_frames {self.band_lag_frames} must be in [0, 2]")
        if not 0.0 <= self.parallax_px <= 50.0:
            raise ValueError(f"SynthConfig.parallax_px {self.parallax_px} must be in [0, 50]")
        if not 0.0 <= self.misregistration_px <= 50.0:
            raise ValueError(f"SynthConfig.misregistration_px {self.misregistration_px} must be in [0, 50]")
        if not 0.0 <= self.misregistration_scale <= 0.2:
            raise ValueError(f"SynthConfig.misregistration_scale {self.misregistration_scale} must be in [0, 0.2]")

    @property
    def target_size_range_px(self) -> tuple[float, float]:
        """The target size range in effect: the explicit one, or the default scaled to the frame."""
        if self.target_size_px is not None:
            return self.target_size_px
        scale = min(self.width / 480.0, self.height / 360.0)
        low, high = DEFAULT_TARGET_SIZE_PX
        return max(4.0, low * scale), max(6.0, high * scale)
