"""The two-method tracker: `initialize(frame, box_xywh)`, then `track(frame) -> TrackResult` per frame.

It owns the geometry (crops, Hann window, mapping back, clamping), the device, and TMR's temporal state,
which it resets on every `initialize` and never updates from a non-finite step. The network runs through
an inference backend (tpmri_core.inference: PyTorch or ONNX Runtime), which only computes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import torch

from tpmri_core.boxes import cxcywh_to_xywh, xywh_to_cxcywh
from tpmri_core.frames import RGBTFrame
from tpmri_core.inference.backend import create_backend
from tpmri_core.models.head import decode_peak, merge_mirrored
from tpmri_core.models.tpi import TemporalState
from tpmri_core.models.tpmri import TPMRI, TemplateTokens, TPMRIOutput
from tpmri_core.tracking.box_convention import DEFAULT_BOX_CALIBRATION, IDENTITY_CONVENTION, BoxCalibration, BoxConvention
from tpmri_core.tracking.box_update import DEFAULT_BOX_RULES, BoxUpdateRules, update_box
from tpmri_core.tracking.center_filter import DEFAULT_CENTER_SMOOTHING, CenterFilter, CenterSmoothing
from tpmri_core.tracking.crops import CropTransform, clamp_box_xywh, crop_image, crop_transform
from tpmri_core.tracking.preprocess import rgb_to_tensor, tir_to_tensor
from tpmri_core.tracking.result import StepTimings, TrackResult
from tpmri_core.tracking.target_state import SearchRegion
from tpmri_core.tracking.template_refiner import DEFAULT_TEMPLATE_REFINEMENT, TemplateRefinement, TemplateRefiner

TEMPLATE_FACTOR = 2.0
SEARCH_FACTOR = 4.0
MIN_BOX_PX = 2.0


def resolve_device(device: str) -> torch.device:
    """'auto' picks CUDA when there is one; asking for CUDA without one is a user error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device {device!r} must be auto, cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but no CUDA GPU is available")
    return torch.device(device)


def validate_box_xywh(box_xywh: tuple[float, ...] | np.ndarray, image_wh: tuple[int, int]) -> np.ndarray:
    box = np.asarray(box_xywh, dtype=np.float64).reshape(-1)
    if box.shape != (4,) or not np.all(np.isfinite(box)):
        raise ValueError(f"initial box must be four finite numbers x,y,w,h, got {box_xywh}")
    x, y, w, h = box
    width, height = image_wh
    if w <= 0 or h <= 0:
        raise ValueError(f"initial box {tuple(box)} needs a positive width and height")
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ValueError(f"initial box {tuple(box)} lies outside the {width}x{height} image")
    return box


class Tracker:
    """TPMRI single-object tracker over registered RGB-T frames.

    Args:
        model: the network (its weights already loaded).
        device: 'auto', 'cpu' or 'cuda'.
        precision: 'auto' (bf16 on a CUDA GPU that supports it, else fp16 on CUDA, fp32 on CPU),
            'fp32', 'bf16' or 'fp16'.
        compile_model: run the model through torch.compile ('reduce-overhead' uses CUDA graphs on a GPU).
        hann_window: weight the score map with a Hann window (favours small motion, as OSTrack does).
        mirror_average: also run the left-right mirrored template and search crops (as a batch of two,
            each with its own TMR state) and average the two views' maps: about 1.7x the compute on a CPU.
        backend: 'torch', 'onnxruntime' or 'auto' (the fastest for the device; see inference.backend).
        threads: the onnxruntime backend's CPU threads (None: torch's thread count).
        box_rules: limits on the box's size change per frame (tpmri_core/tracking/box_update.py; default
            DEFAULT_BOX_RULES, NO_LIMITS for the paper's tracker).
        window_strength: how strongly the Hann window weighs the score map, in [0, 1]: the map is multiplied
            by (1 - strength) + strength * hann (1: the full window, OSTrack's choice).
        search_factor: side of the search crop as a multiple of sqrt(w * h) of the box.
        box_calibration: how the tracker learns, on the first frame, the way the given box frames the target
            (tpmri_core/tracking/box_convention.py; default DEFAULT_BOX_CALIBRATION; None: the network's box
            as it is).
        center_smoothing: the alpha-beta filter on the box's centre (tpmri_core/tracking/center_filter.py;
            default DEFAULT_CENTER_SMOOTHING; NO_SMOOTHING: the measured centre as it is).
        template_refinement: the match of the first frame's target around the filtered centre
            (tpmri_core/tracking/template_refiner.py; default DEFAULT_TEMPLATE_REFINEMENT; None: the
            filtered centre as it is).
    """

    def __init__(
        self,
        model: TPMRI,
        device: str = "auto",
        precision: str = "auto",
        compile_model: bool = False,
        hann_window: bool = True,
        mirror_average: bool = False,
        backend: str = "torch",
        threads: int | None = None,
        box_rules: BoxUpdateRules = DEFAULT_BOX_RULES,
        window_strength: float = 1.0,
        search_factor: float = SEARCH_FACTOR,
        box_calibration: BoxCalibration | None = DEFAULT_BOX_CALIBRATION,
        center_smoothing: CenterSmoothing = DEFAULT_CENTER_SMOOTHING,
        template_refinement: TemplateRefinement | None = DEFAULT_TEMPLATE_REFINEMENT,
    ) -> None:
        if not 0.0 <= window_strength <= 1.0:
            raise ValueError(f"window_strength must be in [0, 1], got {window_strength}")
        if not search_factor > TEMPLATE_FACTOR / 2:
            raise ValueError(f"search_factor must exceed {TEMPLATE_FACTOR / 2}, got {search_factor}")
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        batch = 2 if mirror_average else 1
        self.backend = create_backend(backend, self.model, self.device, batch, precision, compile_model, threads)
        self.forward = self.backend.step
        map_h, map_w = model.layout.search_hw
        window = torch.outer(torch.hann_window(map_h + 2, periodic=False)[1:-1], torch.hann_window(map_w + 2, periodic=False)[1:-1])
        window = (1.0 - window_strength) + window_strength * window
        self.window = window.to(self.device) if hann_window else None
        self.box_rules = box_rules
        self.search_factor = search_factor
        self.box_calibration = box_calibration
        self.center_filter = CenterFilter(center_smoothing)
        self.refiner = TemplateRefiner(template_refinement) if template_refinement is not None else None
        self._convention: BoxConvention = IDENTITY_CONVENTION
        self.mirror_average = mirror_average
        self._template: TemplateTokens | None = None
        self._box_xywh: np.ndarray | None = None
        self._state: TemporalState | None = None

    @property
    def box_xywh(self) -> np.ndarray | None:
        return None if self._box_xywh is None else self._box_xywh.copy()

    @property
    def convention(self) -> BoxConvention:
        """How the given box frames the target, learnt at the last `initialize`."""
        return self._convention

    @property
    def state(self) -> TemporalState | None:
        return self._state

    def reset(self) -> None:
        """Forget TMR's history (every layer) while keeping the target."""
        self._state = self.model.initial_state(2 if self.mirror_average else 1)

    def _crop_pair(self, frame: RGBTFrame, transform: CropTransform) -> tuple[torch.Tensor, torch.Tensor]:
        rgb = rgb_to_tensor(crop_image(frame.rgb, transform), self.device)
        tir = tir_to_tensor(crop_image(frame.tir, transform), self.device)
        if self.mirror_average:
            rgb, tir = torch.cat([rgb, rgb.flip(-1)]), torch.cat([tir, tir.flip(-1)])
        return rgb, tir

    def initialize(
        self, frame: RGBTFrame, box_xywh: tuple[float, float, float, float] | np.ndarray, framed: bool = True
    ) -> None:
        """Start tracking the target in `box_xywh` (image pixels); resets TMR's state.

        `framed`: the box frames the target the way it should be followed (drawn, or a dataset's), so the
        tracker learns that framing (`box_calibration`); False for a box with no framing of its own (a click's
        default square), whose size the network's box then replaces at the box rules' pace.

        Raises ValueError for a box that is not finite, has no area or lies outside the image.
        """
        box = validate_box_xywh(box_xywh, frame.size_wh)
        box = clamp_box_xywh(box, frame.size_wh, MIN_BOX_PX)
        transform = crop_transform(box, TEMPLATE_FACTOR, self.model.template_size)
        with torch.inference_mode():
            self._template = self.backend.embed_template(*self._crop_pair(frame, transform))
        self._box_xywh = box
        self.center_filter.reset(xywh_to_cxcywh(box)[:2])
        if self.refiner is not None:
            self.refiner.reset(frame, box)
        self._convention = IDENTITY_CONVENTION
        if self.box_calibration is not None and framed:
            self._convention = self._learn_convention(frame, box, self.box_calibration)
        self.reset()

    @torch.inference_mode()
    def _learn_convention(self, frame: RGBTFrame, box: np.ndarray, calibration: BoxCalibration) -> BoxConvention:
        """Ask the network for the first frame's target from each calibration view (fresh TMR state each)."""
        proposals = []
        for view in calibration.view_boxes(box):
            self.reset()
            transform = crop_transform(view, self.search_factor, self.model.search_size)
            output = self.forward(self._template, *self._crop_pair(frame, transform), self._state)
            proposal, _, _, _ = self._decode(output, transform, self.window)
            proposals.append(proposal)
        return calibration.learn(box, proposals)

    def _decode(self, output: TPMRIOutput, transform: CropTransform, window: torch.Tensor | None) -> tuple[np.ndarray, float, np.ndarray, bool]:
        """The network's box (image pixels, x, y, w, h), its peak score, alpha per layer, and whether it was lost."""
        maps = merge_mirrored(output.maps) if self.mirror_average else output.maps
        box_crop, score = decode_peak(maps, window)
        values = torch.cat([box_crop.flatten(), score.flatten(), output.alpha.flatten()]).float().cpu().numpy()
        # alpha: the unmirrored view's (with mirror_average, the mirror's follows it in `values`)
        box_fraction, peak, alpha = values[:4], float(values[4]), values[5 : 5 + output.alpha.shape[1]]
        lost = not bool(np.all(np.isfinite(values)))
        center = transform.crop_to_image_xy(box_fraction[:2] * transform.output_size)
        size = box_fraction[2:4] * transform.side_px
        return np.concatenate([center - size / 2, size]), peak, alpha, lost

    def restore_box(self, box_xywh: tuple[float, ...] | np.ndarray) -> None:
        """Put the target back at `box_xywh` (a lost target's last good box) without a new template."""
        self._box_xywh = np.asarray(box_xywh, dtype=np.float64).reshape(4).copy()
        self.center_filter.reset(xywh_to_cxcywh(self._box_xywh)[:2])

    def _smooth_center(self, proposal_xywh: np.ndarray, searching: bool) -> np.ndarray:
        """The proposal with its centre through the centre filter; a re-search's answer restarts the filter there."""
        center, size = np.split(xywh_to_cxcywh(proposal_xywh), 2)
        if searching:
            self.center_filter.reset(center)
        else:
            center = self.center_filter.update(center)
        return cxcywh_to_xywh(np.concatenate([center, size]))

    def _refine(self, frame: RGBTFrame, proposal_xywh: np.ndarray, previous_wh: np.ndarray) -> np.ndarray:
        """The proposal moved onto the template's match near its centre where the match is good enough, and
        given the size the match measured where it measured one (the box rules then pace the change)."""
        if self.refiner is None:
            return proposal_xywh
        center, size = np.split(xywh_to_cxcywh(proposal_xywh), 2)
        # A size search measures the target against the box it has followed so far, not the network's guess.
        measures_size = self.refiner.refinement.scale_step is not None
        match = self.refiner.refine(frame, center, previous_wh if measures_size else size)
        if not match.accepted:
            return proposal_xywh
        if match.scale is not None:
            size = previous_wh * match.scale
        return cxcywh_to_xywh(np.concatenate([match.center_xy, size]))

    @torch.inference_mode()
    def track(self, frame: RGBTFrame, search: SearchRegion | None = None) -> TrackResult:
        """Locate the target in the next frame; `search` looks in another region (a lost target's re-search)."""
        if self._template is None or self._box_xywh is None or self._state is None:
            raise RuntimeError("call initialize(frame, box_xywh) before track(frame)")
        start = time.perf_counter()
        if search is None:
            transform = crop_transform(self._box_xywh, self.search_factor, self.model.search_size)
        else:
            transform = search.transform(self.model.search_size)
        search_rgb, search_tir = self._crop_pair(frame, transform)
        cropped = time.perf_counter()

        output = self.forward(self._template, search_rgb, search_tir, self._state)
        proposal, peak, alpha, lost = self._decode(output, transform, self.window if search is None or search.hann else None)
        modelled = time.perf_counter()

        if not lost:
            proposal = self._smooth_center(self._convention.apply(proposal), searching=search is not None)
            proposal = self._refine(frame, proposal, self._box_xywh[2:])
            box = update_box(self._box_xywh, proposal, peak, self.box_rules)
            self._box_xywh = clamp_box_xywh(box, frame.size_wh, MIN_BOX_PX)
            self._state = output.state.detach()
        decoded = time.perf_counter()

        alpha_per_layer = tuple(float(a) for a in alpha) if not lost else ()
        return TrackResult(
            box_xywh=tuple(float(v) for v in self._box_xywh),
            score=peak if not lost else 0.0,
            alpha_mean=float(np.mean(alpha)) if not lost else math.nan,
            alpha_per_layer=alpha_per_layer,
            lost=lost,
            timings=StepTimings(
                crop_ms=(cropped - start) * 1e3,
                model_ms=(modelled - cropped) * 1e3,
                decode_ms=(decoded - modelled) * 1e3,
            ),
        )

    def track_sequence(self, frames: Iterator[RGBTFrame], box_xywh: tuple[float, float, float, float]) -> Iterator[TrackResult]:
        """Initialise on the first frame and track the rest; yields one result per following frame."""
        first = next(frames)
        self.initialize(first, box_xywh)
        for frame in frames:
            yield self.track(frame)
