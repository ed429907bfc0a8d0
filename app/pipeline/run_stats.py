"""The numbers a run ends with (`tpmri-live --stats-json PATH`): stream, display and inference rates,
frame counts, and how long the target spent in each state.

Plain counters fed by the inference loop (one call per pair taken, one per finished step) and, for the
display, by the window; `summary()` builds the JSON object. Rates are counts over the span between the
first and the last event, so a run's start-up (the model loading, the window opening) does not dilute them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tpmri_live.capture.feeds import FeedStatus

# A gap between two pairs longer than this (a paused replay, a frozen feed) is not counted as time in a state.
MAX_STATE_GAP_S = 1.0
STATES = ("tracking", "uncertain", "lost", "idle")


@dataclass
class _Span:
    """How many events, and when the first and the last happened."""

    count: int = 0
    first_s: float | None = None
    last_s: float | None = None

    def add(self, t_s: float) -> None:
        self.count += 1
        self.first_s = t_s if self.first_s is None else self.first_s
        self.last_s = t_s

    def rate_hz(self) -> float:
        if self.count < 2 or self.first_s is None or self.last_s is None or self.last_s <= self.first_s:
            return 0.0
        return (self.count - 1) / (self.last_s - self.first_s)


@dataclass
class RunStats:
    """Counters over one run (times in seconds on the capture clock, time.monotonic)."""

    pairs: _Span = field(default_factory=_Span)
    steps: _Span = field(default_factory=_Span)
    shown: _Span = field(default_factory=_Span)
    rgb_live: int = 0
    tir_live: int = 0
    state_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    single_stream_s: dict[str, float] = field(default_factory=lambda: {"rgb_only": 0.0, "tir_only": 0.0})
    _previous: tuple[float, str, frozenset[str]] | None = None
    _first_feed: FeedStatus | None = None
    _last_feed: FeedStatus | None = None

    def on_pair(self, t_s: float, state: str, down: frozenset[str], feed: FeedStatus) -> None:
        """A pair the loop took at `t_s`, the target's state as shown with it, and the streams down."""
        if self._previous is not None:
            previous_s, previous_state, previous_down = self._previous
            gap_s = t_s - previous_s
            if 0 < gap_s <= MAX_STATE_GAP_S:
                self.state_s[previous_state] = self.state_s.get(previous_state, 0.0) + gap_s
                if previous_down == {"tir"}:
                    self.single_stream_s["rgb_only"] += gap_s
                elif previous_down == {"rgb"}:
                    self.single_stream_s["tir_only"] += gap_s
        self._previous = (t_s, state, down)
        self.pairs.add(t_s)
        self.rgb_live += "rgb" not in down
        self.tir_live += "tir" not in down
        self._first_feed = self._first_feed or feed
        self._last_feed = feed

    def on_step(self, t_s: float) -> None:
        self.steps.add(t_s)

    def on_shown(self, t_s: float) -> None:
        """The window drew a new pair (headless runs never call it: their display rate is 0)."""
        self.shown.add(t_s)

    def _stream_fps(self, modality: str) -> float:
        first, last = self._first_feed, self._last_feed
        span_s = (self.pairs.last_s or 0.0) - (self.pairs.first_s or 0.0)
        if first is None or last is None or span_s <= 0:
            return 0.0
        if last.max_skew_s is None:
            # Pre-paired feeds (replays, the demo): pairs taken with the stream live, plus those overtaken.
            live = self.rgb_live if modality == "rgb" else self.tir_live
            return (live - 1 + last.skipped - first.skipped) / span_s
        first_stream, last_stream = (first.rgb, last.rgb) if modality == "rgb" else (first.tir, last.tir)
        return (last_stream.frames - first_stream.frames) / span_s

    def summary(self) -> dict[str, object]:
        """The --stats-json object."""
        last = self._last_feed
        return {
            "rgb_fps": round(self._stream_fps("rgb"), 2),
            "tir_fps": round(self._stream_fps("tir"), 2),
            "pair_fps": round(self.pairs.rate_hz(), 2),
            "display_fps": round(self.shown.rate_hz(), 2),
            "inference_fps": round(self.steps.rate_hz(), 2),
            "frames_received": self.pairs.count,
            "frames_shown": self.shown.count,
            "frames_tracked": self.steps.count,
            "dropped": 0 if last is None else last.dropped,
            "skipped": 0 if last is None else last.skipped,
            "state_s": {name: round(seconds, 2) for name, seconds in self.state_s.items()},
            "single_stream_s": {name: round(seconds, 2) for name, seconds in self.single_stream_s.items()},
        }

    def write_json(self, path: Path | str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")
