"""Silhouettes of targets and occluders, drawn part by part for one pose.

Every drawer takes `genes` (values in [0, 1] that set the proportions, so a look-alike is a small
change of them), a motion `phase` in [0, 1) (gait, pedalling) and the sprite canvas size, and
returns anti-aliased part masks in painter's order. Part numbers index the design's part styles.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

PartMasks = list[tuple[int, np.ndarray]]
_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT

CANONICAL_SIZE = 128
"""Longer side of every sprite canvas in pixels; targets up to this size are never upsampled much."""


def _lerp(low: float, high: float, gene: float) -> float:
    return low + (high - low) * float(gene)


class _Pen:
    """Draws anti-aliased primitives with float coordinates into new uint8 masks."""

    def __init__(self, canvas_wh: tuple[int, int]) -> None:
        self.width, self.height = canvas_wh

    def blank(self) -> np.ndarray:
        return np.zeros((self.height, self.width), np.uint8)

    @staticmethod
    def _pt(p: tuple[float, float]) -> tuple[int, int]:
        return int(round(p[0] * _ONE)), int(round(p[1] * _ONE))

    def ellipse(
        self, mask: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float = 0.0
    ) -> np.ndarray:
        cv2.ellipse(mask, self._pt(centre), self._pt(axes), angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
        return mask

    def polygon(self, mask: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
        cv2.fillPoly(mask, [np.array([self._pt(p) for p in points], np.int32)], 255, cv2.LINE_AA, _SHIFT)
        return mask

    def limb(self, mask: np.ndarray, points: list[tuple[float, float]], thickness: float) -> np.ndarray:
        """A thick polyline with round joints and ends (arms, legs, tails, bike tubes)."""
        radius = max(thickness / 2, 0.6)
        for start, end in zip(points[:-1], points[1:], strict=True):
            direction = np.subtract(end, start)
            length = float(np.hypot(*direction))
            normal = np.array([-direction[1], direction[0]]) / max(length, 1e-6) * radius
            quad = [
                tuple(np.add(start, normal)),
                tuple(np.add(end, normal)),
                tuple(np.subtract(end, normal)),
                tuple(np.subtract(start, normal)),
            ]
            self.polygon(mask, quad)
        for point in points:
            self.ellipse(mask, point, (radius, radius))
        return mask

    def ring(self, mask: np.ndarray, centre: tuple[float, float], radius: float, thickness: float) -> np.ndarray:
        cv2.circle(
            mask, self._pt(centre), int(round(radius * _ONE)), 255, max(1, int(round(thickness))), cv2.LINE_AA, _SHIFT
        )
        return mask


def _leg(hip: tuple[float, float], angle: float, bend: float, thigh: float, shin: float) -> list[tuple[float, float]]:
    knee = (hip[0] + thigh * np.sin(angle), hip[1] + thigh * np.cos(angle))
    shin_angle = angle - bend
    foot = (knee[0] + shin * np.sin(shin_angle), knee[1] + shin * np.cos(shin_angle))
    return [hip, knee, foot]


# Person parts: 0 skin, 1 hair, 2 top, 3 trousers, 4 shoes, 5 bag.
def draw_person(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    cx = width / 2
    side_view = genes[9] < 0.7
    head_r = _lerp(0.055, 0.07, genes[0]) * height
    shoulder_y = 0.06 * height + 2.2 * head_r
    hip_y = _lerp(0.48, 0.54, genes[1]) * height
    shoulder_w = _lerp(0.09, 0.13, genes[2]) * height
    hip_w = _lerp(0.07, 0.1, genes[3]) * height
    arm_t = _lerp(0.045, 0.06, genes[4]) * height
    leg_t = _lerp(0.055, 0.075, genes[5]) * height
    coat = _lerp(0.0, 0.12, genes[6]) * height if genes[6] > 0.5 else 0.0
    stride = _lerp(0.25, 0.5, genes[7]) if side_view else 0.0
    swing = np.sin(2 * np.pi * phase)
    bob = 0.01 * height * abs(np.cos(2 * np.pi * phase))
    foot_y = 0.975 * height
    leg_len = foot_y - hip_y
    head_c = (cx + (0.02 * height if side_view else 0.0), 0.04 * height + head_r + bob)
    parts: PartMasks = []
    legs = pen.blank()
    shoes = pen.blank()
    for sign in (1.0, -1.0):
        if side_view:
            angle = sign * stride * swing
            bend = max(0.0, -sign * swing) * 0.6 * stride / 0.4
            chain = _leg((cx, hip_y + bob), angle, -bend, leg_len * 0.5, leg_len * 0.5)
        else:
            foot_x = cx + sign * hip_w * 0.55
            lift = 0.03 * height * max(0.0, sign * swing)
            chain = [(cx + sign * hip_w * 0.5, hip_y + bob), (foot_x, hip_y + leg_len * 0.5), (foot_x, foot_y - lift)]
        pen.limb(legs, chain, leg_t)
        foot = chain[-1]
        toe = 0.05 * height if side_view else 0.0
        pen.ellipse(shoes, (foot[0] + toe * 0.5, foot[1] - leg_t * 0.15), (leg_t * 0.5 + toe * 0.6, leg_t * 0.4))
    parts += [(3, legs), (4, shoes)]
    torso = pen.polygon(
        pen.blank(),
        [
            (cx - shoulder_w, shoulder_y + bob),
            (cx + shoulder_w, shoulder_y + bob),
            (cx + hip_w + coat * 0.3, hip_y + coat + bob),
            (cx - hip_w - coat * 0.3, hip_y + coat + bob),
        ],
    )
    pen.ellipse(torso, (cx, shoulder_y + bob + 0.01 * height), (shoulder_w, 0.035 * height))
    arms = pen.blank()
    hands = pen.blank()
    arm_len = 0.3 * height
    for sign in (1.0, -1.0):
        if side_view:
            shoulder = (cx, shoulder_y + bob + arm_t * 0.5)
            angle = -sign * stride * 0.9 * swing
        else:
            shoulder = (cx + sign * (shoulder_w - arm_t * 0.4), shoulder_y + bob + arm_t * 0.5)
            angle = sign * 0.12
        elbow = (shoulder[0] + 0.5 * arm_len * np.sin(angle), shoulder[1] + 0.5 * arm_len * np.cos(angle))
        hand_angle = angle + (0.3 if side_view else 0.05) * (1 if angle >= 0 else -1)
        hand = (elbow[0] + 0.5 * arm_len * np.sin(hand_angle), elbow[1] + 0.5 * arm_len * np.cos(hand_angle))
        pen.limb(arms, [shoulder, elbow, hand], arm_t)
        pen.ellipse(hands, hand, (arm_t * 0.55, arm_t * 0.6))
    if genes[8] > 0.6:  # a bag or backpack
        bag = pen.blank()
        if side_view:
            pen.ellipse(bag, (cx - shoulder_w * 0.9, (shoulder_y + hip_y) / 2), (shoulder_w * 0.45, 0.1 * height))
        else:
            pen.polygon(
                bag,
                [
                    (cx + shoulder_w, hip_y - 0.05 * height),
                    (cx + shoulder_w * 1.6, hip_y - 0.05 * height),
                    (cx + shoulder_w * 1.6, hip_y + 0.08 * height),
                    (cx + shoulder_w, hip_y + 0.08 * height),
                ],
            )
        parts.append((5, bag))
    parts += [(2, torso), (2, arms), (0, hands)]
    neck = pen.ellipse(
        pen.blank(), (head_c[0] - 0.01 * height, shoulder_y + bob - head_r * 0.3), (head_r * 0.45, head_r * 0.6)
    )
    head = pen.ellipse(pen.blank(), head_c, (head_r * 0.88, head_r))
    hair = pen.ellipse(
        pen.blank(),
        (head_c[0] - (0.012 * height if side_view else 0.0), head_c[1] - head_r * 0.35),
        (head_r * 0.95, head_r * _lerp(0.6, 0.85, genes[3])),
    )
    parts += [(0, neck), (0, head), (1, hair)]
    return parts


# Vehicle parts: 0 paint, 1 glass, 2 tyres, 3 rims, 4 head lights, 5 tail lights, 6 trim.
def draw_vehicle(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    if genes[9] < 0.55:  # side view, facing right
        body_top = _lerp(0.35, 0.5, genes[0]) * height
        bottom = 0.84 * height
        wheel_r = _lerp(0.14, 0.18, genes[1]) * height * 1.2
        roof_y = _lerp(0.02, 0.1, genes[2]) * height
        cab_l = _lerp(0.18, 0.3, genes[3]) * width
        cab_r = _lerp(0.62, 0.75, genes[4]) * width
        hood = _lerp(0.06, 0.12, genes[5]) * width
        body = pen.polygon(
            pen.blank(),
            [
                (0.02 * width, body_top + 4),
                (0.05 * width, body_top),
                (0.96 * width, body_top + 2),
                (0.99 * width, body_top + 6),
                (0.99 * width, bottom - 3),
                (0.01 * width, bottom - 3),
            ],
        )
        pen.polygon(
            body,
            [
                (cab_l - 0.06 * width, body_top + 1),
                (cab_l, roof_y),
                (cab_r - 0.02 * width, roof_y),
                (cab_r + hood, body_top + 1),
            ],
        )
        glass = pen.polygon(
            pen.blank(),
            [
                (cab_l - 0.02 * width, body_top - 1),
                (cab_l + 0.03 * width, roof_y + 3),
                (cab_r - 0.04 * width, roof_y + 3),
                (cab_r + hood - 0.05 * width, body_top - 1),
            ],
        )
        trim = pen.polygon(
            pen.blank(),
            [
                (0.01 * width, bottom - 0.12 * height),
                (0.99 * width, bottom - 0.12 * height),
                (0.99 * width, bottom - 3),
                (0.01 * width, bottom - 3),
            ],
        )
        tyres, rims = pen.blank(), pen.blank()
        for wx in (0.2 * width, 0.8 * width):
            pen.ellipse(tyres, (wx, bottom - wheel_r * 0.55), (wheel_r, wheel_r))
            pen.ellipse(rims, (wx, bottom - wheel_r * 0.55), (wheel_r * 0.55, wheel_r * 0.55))
        head_lights = pen.ellipse(pen.blank(), (0.97 * width, body_top + 0.1 * height), (0.02 * width, 0.05 * height))
        tail_lights = pen.ellipse(pen.blank(), (0.025 * width, body_top + 0.1 * height), (0.015 * width, 0.05 * height))
        return [(0, body), (6, trim), (1, glass), (2, tyres), (3, rims), (4, head_lights), (5, tail_lights)]
    # rear view
    cx = width / 2
    half_w = 0.47 * width
    roof_y = _lerp(0.03, 0.15, genes[0]) * height
    belt_y = _lerp(0.38, 0.5, genes[1]) * height
    bottom = 0.9 * height
    roof_half = _lerp(0.3, 0.4, genes[2]) * width
    body = pen.polygon(
        pen.blank(),
        [
            (cx - roof_half, roof_y),
            (cx + roof_half, roof_y),
            (cx + half_w, belt_y),
            (cx + half_w, bottom),
            (cx - half_w, bottom),
            (cx - half_w, belt_y),
        ],
    )
    glass = pen.polygon(
        pen.blank(),
        [
            (cx - roof_half + 4, roof_y + 4),
            (cx + roof_half - 4, roof_y + 4),
            (cx + half_w - 8, belt_y - 3),
            (cx - half_w + 8, belt_y - 3),
        ],
    )
    tyres = pen.blank()
    for sign in (-1.0, 1.0):
        pen.polygon(
            tyres,
            [
                (cx + sign * half_w * 0.95, bottom - 6),
                (cx + sign * half_w * 0.62, bottom - 6),
                (cx + sign * half_w * 0.62, height - 1),
                (cx + sign * half_w * 0.95, height - 1),
            ],
        )
    tail_lights = pen.blank()
    light_w = _lerp(0.08, 0.16, genes[3]) * width
    for sign in (-1.0, 1.0):
        x_out = cx + sign * (half_w - 2)
        pen.polygon(
            tail_lights,
            [
                (x_out, belt_y + 4),
                (x_out - sign * light_w, belt_y + 4),
                (x_out - sign * light_w, belt_y + 0.12 * height),
                (x_out, belt_y + 0.12 * height),
            ],
        )
    trim = pen.polygon(
        pen.blank(),
        [
            (cx - half_w, bottom - 0.13 * height),
            (cx + half_w, bottom - 0.13 * height),
            (cx + half_w, bottom),
            (cx - half_w, bottom),
        ],
    )
    plate = pen.polygon(
        pen.blank(),
        [
            (cx - 0.1 * width, belt_y + 0.17 * height),
            (cx + 0.1 * width, belt_y + 0.17 * height),
            (cx + 0.1 * width, belt_y + 0.26 * height),
            (cx - 0.1 * width, belt_y + 0.26 * height),
        ],
    )
    return [(2, tyres), (0, body), (6, trim), (1, glass), (5, tail_lights), (4, plate)]


# Animal parts: 0 fur, 1 darker fur (legs, ears, tail), 2 eyes and nose.
def draw_animal(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    body_c = (0.47 * width, _lerp(0.38, 0.46, genes[0]) * height)
    body_axes = (_lerp(0.26, 0.33, genes[1]) * width, _lerp(0.13, 0.2, genes[2]) * height)
    leg_t = _lerp(0.045, 0.07, genes[3]) * width
    ground = 0.97 * height
    head_c = (_lerp(0.8, 0.86, genes[4]) * width, _lerp(0.15, 0.28, genes[5]) * height)
    head_axes = (_lerp(0.07, 0.1, genes[6]) * width, _lerp(0.08, 0.12, genes[6]) * height)
    legs = pen.blank()
    swing = 0.35 * np.sin(2 * np.pi * phase)
    hip_y = body_c[1] + body_axes[1] * 0.5
    for hip_x, offset in ((body_c[0] - body_axes[0] * 0.7, 0.0), (body_c[0] + body_axes[0] * 0.7, 0.5)):
        for sign in (1.0, -1.0):
            angle = sign * swing * np.cos(np.pi * offset) + (1 - sign) * 0.0
            pen.limb(
                legs,
                _leg(
                    (hip_x, hip_y),
                    angle,
                    0.25 * max(0.0, -sign * swing),
                    (ground - hip_y) * 0.5,
                    (ground - hip_y) * 0.5,
                ),
                leg_t,
            )
    body = pen.ellipse(pen.blank(), body_c, body_axes)
    neck_base = (body_c[0] + body_axes[0] * 0.75, body_c[1] - body_axes[1] * 0.3)
    pen.limb(
        body,
        [neck_base, (head_c[0] - head_axes[0] * 0.4, head_c[1] + head_axes[1] * 0.2)],
        _lerp(0.09, 0.14, genes[7]) * width,
    )
    head = pen.ellipse(pen.blank(), head_c, head_axes)
    pen.ellipse(
        head,
        (head_c[0] + head_axes[0] * 0.9, head_c[1] + head_axes[1] * 0.35),
        (head_axes[0] * 0.6, head_axes[1] * 0.45),
    )
    dark = pen.blank()
    pen.polygon(
        dark,
        [
            (head_c[0] - head_axes[0] * 0.6, head_c[1] - head_axes[1] * 0.6),
            (head_c[0] - head_axes[0] * 0.1, head_c[1] - head_axes[1] * 0.8),
            (head_c[0] - head_axes[0] * 0.5, head_c[1] - head_axes[1] * 1.8),
        ],
    )
    tail_base = (body_c[0] - body_axes[0] * 0.95, body_c[1] - body_axes[1] * 0.3)
    tail_tip = (
        tail_base[0] - 0.1 * width,
        tail_base[1] + _lerp(-0.2, 0.25, genes[8]) * height + 0.03 * height * np.sin(2 * np.pi * phase),
    )
    pen.limb(dark, [tail_base, tail_tip], leg_t * 0.6)
    features = pen.blank()
    pen.ellipse(features, (head_c[0] + head_axes[0] * 0.25, head_c[1] - head_axes[1] * 0.25), (1.8, 1.8))
    pen.ellipse(features, (head_c[0] + head_axes[0] * 1.45, head_c[1] + head_axes[1] * 0.3), (2.2, 1.8))
    return [(1, legs), (0, body), (1, dark), (0, head), (2, features)]


# Bike parts: 0 skin, 1 helmet or hair, 2 top, 3 trousers, 4 frame, 5 tyres.
def draw_bike(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    wheel_r = _lerp(0.15, 0.19, genes[0]) * width
    wheel_y = height - wheel_r - 2
    rear, front = (0.21 * width, wheel_y), (0.79 * width, wheel_y)
    motor = genes[9] > 0.6
    crank = (0.47 * width, wheel_y - 0.02 * height)
    saddle = (0.4 * width, _lerp(0.45, 0.5, genes[1]) * height)
    bars = (0.72 * width, _lerp(0.38, 0.44, genes[2]) * height)
    tyres = pen.blank()
    for centre in (rear, front):
        pen.ring(tyres, centre, wheel_r - 2, _lerp(3.0, 6.0, genes[3]) + (3.0 if motor else 0.0))
    frame = pen.blank()
    tube = _lerp(2.5, 4.0, genes[4]) + (4.0 if motor else 0.0)
    pen.limb(frame, [rear, crank, saddle, rear], tube)
    pen.limb(frame, [crank, (bars[0] - 0.03 * width, bars[1] + 0.04 * height), front], tube)
    pen.limb(frame, [saddle, (bars[0] - 0.03 * width, bars[1] + 0.04 * height)], tube)
    if motor:
        pen.ellipse(frame, (0.5 * width, wheel_y - 0.1 * height), (0.16 * width, 0.09 * height))
    legs = pen.blank()
    angle = 2 * np.pi * phase
    for sign in (1.0, -1.0):
        pedal = (crank[0] + 0.07 * width * np.cos(angle) * sign, crank[1] + 0.07 * width * np.sin(angle) * sign)
        knee = ((saddle[0] + pedal[0]) / 2 + 0.09 * width, (saddle[1] + pedal[1]) / 2 - 0.02 * height)
        pen.limb(legs, [saddle, knee, pedal], _lerp(0.05, 0.065, genes[5]) * width)
    shoulder = (_lerp(0.55, 0.62, genes[6]) * width, _lerp(0.18, 0.25, genes[7]) * height)
    torso = pen.limb(pen.blank(), [saddle, shoulder], _lerp(0.1, 0.13, genes[8]) * width)
    arm = pen.limb(pen.blank(), [shoulder, (bars[0] - 0.03 * width, bars[1] - 0.02 * height), bars], 0.045 * width)
    head_r = 0.055 * width
    head_c = (shoulder[0] + 0.04 * width, shoulder[1] - 1.4 * head_r)
    head = pen.ellipse(pen.blank(), head_c, (head_r, head_r * 1.1))
    helmet = pen.ellipse(
        pen.blank(), (head_c[0] - head_r * 0.15, head_c[1] - head_r * 0.35), (head_r * 1.1, head_r * 0.8)
    )
    return [(5, tyres), (4, frame), (3, legs), (2, torso), (2, arm), (0, head), (1, helmet)]


# Object parts: 0 body, 1 band or decal.
def draw_object(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    body = pen.blank()
    shape = int(genes[0] * 3)
    if shape == 0:
        pen.ellipse(body, (width / 2, height / 2), (width / 2 - 1, height / 2 - 1))
    elif shape == 1:
        radius = _lerp(0.05, 0.3, genes[1]) * min(width, height)
        pen.polygon(body, [(radius, 1), (width - radius, 1), (width - radius, height - 1), (radius, height - 1)])
        pen.polygon(body, [(1, radius), (width - 1, radius), (width - 1, height - radius), (1, height - radius)])
        for x in (radius, width - radius):
            for y in (radius, height - radius):
                pen.ellipse(body, (x, y), (radius - 1, radius - 1))
    else:
        angles = np.sort(np.asarray(genes[2:9]) * 2 * np.pi)
        radii = 0.7 + 0.3 * np.asarray(genes[3:10])[: len(angles)]
        pen.polygon(
            body,
            [
                (width / 2 + (width / 2 - 1) * r * np.cos(a), height / 2 + (height / 2 - 1) * r * np.sin(a))
                for a, r in zip(angles, radii, strict=True)
            ],
        )
    band = np.zeros_like(body)
    if genes[1] > 0.5:
        y = _lerp(0.3, 0.7, genes[2]) * height
        pen.polygon(
            band,
            [(0, y - 0.08 * height), (width, y - 0.08 * height), (width, y + 0.08 * height), (0, y + 0.08 * height)],
        )
        band = cv2.min(band, body)
    return [(0, body), (1, band)]


# Occluder parts: 0 main surface, 1 secondary.
def draw_pole(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    pole = pen.polygon(
        pen.blank(), [(0.1 * width, 0), (0.9 * width, 0), (0.95 * width, height), (0.05 * width, height)]
    )
    return [(0, pole)]


def draw_board(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    board = pen.polygon(pen.blank(), [(1, 1), (width - 1, 1), (width - 1, height - 1), (1, height - 1)])
    frame = cv2.subtract(
        board, pen.polygon(pen.blank(), [(5, 5), (width - 5, 5), (width - 5, height - 5), (5, height - 5)])
    )
    return [(0, board), (1, frame)]


def draw_foliage(genes: np.ndarray, phase: float, canvas_wh: tuple[int, int]) -> PartMasks:
    pen = _Pen(canvas_wh)
    width, height = canvas_wh
    leaves = pen.blank()
    rng = np.random.default_rng(int(genes[0] * 2**31))
    for _ in range(14):
        centre = (rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height)
        pen.ellipse(
            leaves, centre, (rng.uniform(0.1, 0.25) * width, rng.uniform(0.1, 0.25) * height), rng.uniform(0, 180)
        )
    return [(0, leaves)]


DRAWERS: dict[str, Callable[[np.ndarray, float, tuple[int, int]], PartMasks]] = {
    "person": draw_person,
    "vehicle": draw_vehicle,
    "animal": draw_animal,
    "bike": draw_bike,
    "object": draw_object,
    "pole": draw_pole,
    "board": draw_board,
    "foliage": draw_foliage,
}
"""Silhouette drawer per kind (targets first, then occluders)."""
