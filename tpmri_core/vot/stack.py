"""The experiment stack a generated workspace runs, written as the toolkit's stack YAML.

    baseline    multistart from the anchors, as vot2020/rgbtir (EAO, accuracy, robustness)
    supervised  one run with re-initialisation five frames after each failure, as VOT2015-2019
    realtime    (with realtime=True) the baseline again under the toolkit's real-time clock: frames the
                tracker is too slow for get its last answer, as vot2020/rgbtir's baseline does

The EAO interval is VOT2020's 115..755 frames, shrunk to fit the workspace's sequences (a curve
longer than every sequence would only average zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

from tpmri_core.vot.sequence_writer import ABSENT_TAG

VOT2020_EAO_RANGE: tuple[int, int] = (115, 755)
REALTIME_GRACE_FRAMES = 3  # vot2020/rgbtir's grace
SUPERVISED_SKIP_FRAMES = 5  # frames skipped before re-initialising, as VOT2015-2019
AR_SENSITIVITY = 30  # supervised robustness sensitivity, as VOT2015-2019


@dataclass(frozen=True)
class StackSpec:
    """Args:
    title: the stack's title.
    eao_low, eao_high: EAO interval in frames.
    realtime: also run the real-time multistart experiment.
    """

    title: str
    eao_low: int
    eao_high: int
    realtime: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.eao_low <= self.eao_high:
            raise ValueError(f"EAO interval {self.eao_low}..{self.eao_high} must satisfy 1 <= low <= high")


def fitted_eao_range(lengths: list[int], reference: tuple[int, int] = VOT2020_EAO_RANGE) -> tuple[int, int]:
    """VOT2020's interval where the sequences are long enough, else scaled down to the longest one."""
    longest = max(lengths)
    low, high = reference
    if longest >= high:
        return low, high
    scaled_low = max(1, round(low * longest / high))
    return scaled_low, longest


def _multistart(eao_low: int, eao_high: int, realtime: bool) -> list[str]:
    lines = ["    type: multistart"]
    if realtime:
        lines += ["    realtime:", f"      grace: {REALTIME_GRACE_FRAMES}"]
    lines += [
        "    analyses:",
        "      - type: multistart_average_ar",
        "        name: ar",
        "      - type: multistart_eao_score",
        "        name: eao",
        f"        low: {eao_low}",
        f"        high: {eao_high}",
        "      - type: multistart_eao_curve",
        "        name: eaocurve",
        f"        high: {eao_high}",
    ]
    return lines


def stack_yaml(spec: StackSpec) -> str:
    """The stack file's text (YAML the toolkit reads with its own loader)."""
    title = spec.title.replace('"', "'")
    lines = [f'title: "{title}"', "experiments:", "  baseline:"]
    lines += _multistart(spec.eao_low, spec.eao_high, realtime=False)
    lines += [
        "  supervised:",
        "    type: supervised",
        "    repetitions: 1  # the tracker is deterministic: more runs would repeat the first",
        f"    skip_initialize: {SUPERVISED_SKIP_FRAMES}",
        f"    skip_tags: [{ABSENT_TAG}]  # never re-initialise on a frame without a target",
        "    analyses:",
        "      - type: supervised_average_ar",
        "        name: ar",
        f"        sensitivity: {AR_SENSITIVITY}",
        "      - type: supervised_eao_score",
        "        name: eao",
        f"        low: {spec.eao_low}",
        f"        high: {spec.eao_high}",
        "      - type: supervised_eao_curve",
        "        name: eaocurve",
    ]
    if spec.realtime:
        lines.append("  realtime:")
        lines += _multistart(spec.eao_low, spec.eao_high, realtime=True)
    return "\n".join(lines) + "\n"
