from pathlib import Path

from tpmri_core.training.cpu_features import bf16_warning, cpu_flags

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
flags\t\t: fpu sse2 avx2 {extra}
bogomips\t: 4000.00

processor\t: 1
flags\t\t: fpu
"""


def _cpuinfo(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.format(extra=extra))
    return path


def test_the_first_processors_flags_are_read(tmp_path):
    assert cpu_flags(_cpuinfo(tmp_path, "avx512f avx512_bf16")) == {"fpu", "sse2", "avx2", "avx512f", "avx512_bf16"}


def test_no_cpuinfo_gives_none(tmp_path):
    assert cpu_flags(tmp_path / "missing") is None


def test_bf16_is_warned_about_only_without_bf16_instructions(tmp_path):
    assert bf16_warning(cpu_flags(_cpuinfo(tmp_path, "avx512f"))).startswith("warning: --precision bf16 is emulated")
    assert bf16_warning(cpu_flags(_cpuinfo(tmp_path, "avx512f avx512_bf16"))) is None
    assert bf16_warning(cpu_flags(_cpuinfo(tmp_path, "amx_bf16 amx_tile"))) is None
    assert bf16_warning(None) is None
