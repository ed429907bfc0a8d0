"""How often something happens, measured over a sliding window of recent event times.

Like supervision's `FPSMonitor`: a deque of timestamps, no thread, no clock of its own, so a test
feeds it exact times and the worker, the window and the capture threads each keep their own.
"""

from __future__ import annotations

from collections import deque


class RateMonitor:
    """Events per second over the last `window_s` seconds (at most `max_events` remembered).

    Args:
        window_s: how far back events count; short windows react fast, long ones read steadily.
        max_events: bound on memory whatever the event rate.
    """

    def __init__(self, window_s: float = 2.0, max_events: int = 512) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.window_s = window_s
        self._times_s: deque[float] = deque(maxlen=max_events)

    def tick(self, t_s: float) -> None:
        """Record one event at time `t_s` (seconds, any monotonic clock)."""
        self._times_s.append(t_s)

    def reset(self) -> None:
        self._times_s.clear()

    def rate_hz(self, now_s: float | None = None) -> float:
        """Events per second in the window ending at `now_s` (the last event when None); 0 with too few events.

        Measured as (events - 1) / span between the first and last event in the window, so a steady
        stream at 25 Hz reads 25 whatever the window; when `now_s` is well after the last event (a
        stalled stream), old events leave the window and the rate drops to 0.
        """
        if not self._times_s:
            return 0.0
        end_s = self._times_s[-1] if now_s is None else now_s
        recent = [t for t in self._times_s if end_s - self.window_s <= t <= end_s]
        if len(recent) < 2:
            return 0.0
        span_s = recent[-1] - recent[0]
        return (len(recent) - 1) / span_s if span_s > 0 else 0.0
