"""The systemd units of deploy/systemd/: exactly what the schedule table generates (so the
timers and `madoguchi run-periodic` keep one schedule), and accepted by `systemd-analyze
verify` — with the madoguchi command of this checkout as ExecStart, the one thing an
installation changes (`madoguchi systemd-units --bin …`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from madoguchi.cli.schedule import BIN, JOBS, units
from tests.support.processes import MADOGUCHI, madoguchi_json
from tests.support.tools import require_tool

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def verify(tool: str, directory: Path) -> subprocess.CompletedProcess[str]:
    names = sorted(p.name for p in directory.iterdir())
    return subprocess.run(
        [tool, "verify", *names],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_checked_in_units_are_the_generated_ones() -> None:
    expected = units(BIN)
    found = {p.name: p.read_text(encoding="utf-8") for p in DEPLOY.iterdir()}
    assert sorted(found) == sorted(expected), (
        "regenerate: madoguchi systemd-units --out deploy/systemd"
    )
    for name, text in expected.items():
        assert found[name] == text, f"{name} differs from cli/schedule.py"
    for job in JOBS:
        timer = found[f"madoguchi-{job.name}.timer"]
        assert f"OnCalendar={job.when.on_calendar()}\n" in timer
        assert f"ExecStart={BIN} {' '.join(job.args)}\n" in found[f"madoguchi-{job.name}.service"]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = require_tool("systemd-analyze", "apt-get install systemd")
    out = tmp_path / "units"
    made = madoguchi_json("systemd-units", "--out", str(out), "--bin", str(MADOGUCHI))
    assert len(made["units"]) == 2 * len(JOBS) + 1
    result = verify(tool, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even a warning

    # the check is a real one: a unit systemd cannot read fails it
    broken = tmp_path / "broken"
    broken.mkdir()
    timer = units(str(MADOGUCHI))["madoguchi-crl.timer"].replace("*-*-* *:05:00", "*-*-* 25:99:00")
    (broken / "madoguchi-crl.timer").write_text(timer)
    (broken / "madoguchi-crl.service").write_text(units(str(MADOGUCHI))["madoguchi-crl.service"])
    failed = verify(tool, broken)
    assert failed.returncode != 0 and "calendar" in failed.stderr, failed.stderr
