"""How every command line ends: its own status, a user's mistake as one line with 2, Ctrl-C as 130."""

from __future__ import annotations

import pytest

from tpmri_core.errors import UserError, run_command


def test_a_command_returns_its_own_status_and_none_counts_as_0():
    assert run_command("tpmri x", lambda: 3) == 3
    assert run_command("tpmri x", lambda: None) == 0


def test_a_user_error_is_one_line_naming_the_program_and_exit_2(capsys):
    def fails() -> int:
        raise UserError("--weights w.safetensors: file not found")

    assert run_command("tpmri track", fails) == 2
    captured = capsys.readouterr()
    assert captured.err == "tpmri track: error: --weights w.safetensors: file not found\n" and captured.out == ""


def test_ctrl_c_is_exit_130_without_a_traceback(capsys):
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_command("tpmri-live", interrupted) == 130
    assert capsys.readouterr().err == ""


def test_a_bug_keeps_its_traceback():
    def broken() -> int:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        run_command("tpmri x", broken)
