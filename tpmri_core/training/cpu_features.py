"""Whether this CPU computes bf16 natively: on one that does not, `--precision bf16` is emulated, and the
fine-tune that takes 2 s a step on a 2-core EPYC with AVX512-BF16 took about 200 s a step on an AVX2-only one
(2026-12-02, beside a test run)."""

from __future__ import annotations

from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""/proc/cpuinfo flags of the instructions that make bf16 autocast pay on a CPU."""


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str] | None:
    """The first processor's flags, or None where /proc/cpuinfo cannot be read (not Linux)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return None


def bf16_warning(flags: frozenset[str] | None) -> str | None:
    """A one-line warning for bf16 training on a CPU with these flags; None where bf16 is native or unknown."""
    if flags is None or flags & BF16_FLAGS:
        return None
    return ("warning: --precision bf16 is emulated on a CPU without AVX512-BF16 or AMX (here: no such flag in "
            "/proc/cpuinfo) and can make each step many times slower; leave --precision out on this machine")
