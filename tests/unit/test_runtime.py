"""madoguchi.runtime (issue 14, items 8 and 10): the log formatter that keeps one record a
line, and the process-wide private umask."""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from madoguchi.runtime import CONTINUATION, SafeFormatter, escape_controls


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\r\nb", "a\\r\\nb"),
        ("nul\x00", "nul\\x00"),
        ("tab\there", "tab\\there"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("del\x7f", "del\\x7f"),
        ("nel\x85", "nel\\x85"),
        ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
        ("帯広市 ordinary text", "帯広市 ordinary text"),
    ],
)
def test_control_characters_are_escaped(raw: str, escaped: str) -> None:
    assert escape_controls(raw) == escaped


def _logger(stream: io.StringIO) -> logging.Logger:
    log = logging.getLogger(f"test-runtime-{id(stream)}")
    log.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


def test_a_record_is_one_line_whatever_its_arguments() -> None:
    out = io.StringIO()
    _logger(out).warning("refused %s: %r", "a\nFORGED", b"x")
    assert out.getvalue() == "WARNING refused a\\nFORGED: b'x'\n"


def test_a_traceback_follows_on_indented_lines() -> None:
    out = io.StringIO()
    try:
        raise ValueError("bad\r\nINFO forged")
    except ValueError:
        _logger(out).exception("failed")
    first, *rest = out.getvalue().rstrip("\n").split("\n")
    assert first == "ERROR failed"
    assert rest and all(line.startswith(CONTINUATION) for line in rest)
    assert any("Traceback (most recent call last):" in line for line in rest)
    assert "bad\\r" in out.getvalue()  # the CR inside the exception's text is escaped too


def test_other_handlers_see_the_record_unchanged() -> None:
    out, plain = io.StringIO(), io.StringIO()
    log = _logger(out)
    other = logging.StreamHandler(plain)
    other.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(other)
    log.warning("x\ny %s", "\x00")
    assert out.getvalue() == "WARNING x\\ny \\x00\n"
    assert plain.getvalue() == "x\ny \x00\n"


def test_private_files_makes_everything_0600_and_0700(tmp_path: Path) -> None:
    """In a process of its own (the umask is the process's); the CLI and the server workers
    call it first (tests/e2e/test_serve_hardening.py walks what they create)."""
    code = (
        "import os, madoguchi.runtime as r; r.private_files(); "
        "open(os.environ['T'], 'w').close(); os.mkdir(os.environ['T'] + '.d')"
    )
    target = tmp_path / "f"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "T": str(target)})
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{target}.d").stat().st_mode) == 0o700
