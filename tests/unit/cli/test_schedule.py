"""The periodic work's one schedule (cli/schedule.py): run-periodic's loop on a simulated
day (no wall-clock wait), and every calendar against systemd's own reading of the same
OnCalendar expression (systemd-analyze calendar), so the timers and the loop agree."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from madoguchi.cli.schedule import JOBS, Calendar, Job, Scheduler
from madoguchi.rules.dates import JST
from tests.support.tools import require_tool

START = datetime(2026, 11, 23, 15, 0, 30, tzinfo=UTC)  # 2026-11-24 00:00:30 JST


class SimulatedTime:
    """A clock that moves only when slept on, or when a job takes time."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def run_day(jobs: tuple[Job, ...], job_seconds: float = 2.0) -> tuple[list, SimulatedTime]:
    t = SimulatedTime(START)

    def run(job: Job) -> int:
        t.now += timedelta(seconds=job_seconds)  # the job takes a little while
        return 0

    ran = Scheduler(jobs, run, t.clock, t.sleep).run(until=START + timedelta(days=1))
    return ran, t


def test_a_simulated_day_runs_each_job_as_often_as_its_calendar_says() -> None:
    ran, t = run_day(JOBS)
    counts = Counter(r.job for r in ran)
    assert counts == {
        "crl": 24,
        "ocsp-export": 96,
        "audit-checkpoint": 24,
        "move-in-deadline": 1,
        "ca-deadlines": 1,
        "reconcile": 96,
        "backup": 1,
    }
    backup = next(r for r in ran if r.job == "backup")
    assert backup.at.astimezone(JST).strftime("%H:%M") == "02:30"  # Japan time
    deadline = next(r for r in ran if r.job == "move-in-deadline")
    assert deadline.at.astimezone(JST).strftime("%H:%M") == "00:10"
    for r in ran:
        local = r.at.astimezone(JST)
        job = next(j for j in JOBS if j.name == r.job)
        assert local.minute in job.when.minutes  # never early, and late only by queueing
        assert local.second < 30
    assert all(r.exit_code == 0 for r in ran)
    assert t.slept  # it waited by sleeping, not by spinning


def test_jobs_due_together_run_one_after_the_other_in_table_order() -> None:
    same = Calendar(minutes=(0,))
    jobs = (Job("a", "a", ("a",), same), Job("b", "b", ("b",), same))
    ran, _ = run_day(jobs, job_seconds=90)  # a runs past b's minute: b still runs, once
    assert [r.job for r in ran[:4]] == ["a", "b", "a", "b"]
    assert ran[1].at - ran[0].at == timedelta(seconds=90)
    assert len(ran) == 48


def test_a_slot_missed_during_a_long_job_is_not_run_twice() -> None:
    every_15 = Calendar(minutes=(0, 15, 30, 45))
    ran, _ = run_day((Job("slow", "slow", ("x",), every_15),), job_seconds=20 * 60)
    gaps = {(b.at - a.at) for a, b in itertools.pairwise(ran)}
    assert gaps == {timedelta(minutes=30)}  # each run takes 20 min: the next slot is skipped


def test_run_once_runs_every_job_in_order_and_reports_failures() -> None:
    t = SimulatedTime(START)
    codes = {"backup": 1}
    ran = Scheduler(JOBS, lambda j: codes.get(j.name, 0), t.clock, t.sleep).run_once()
    assert [r.job for r in ran] == [j.name for j in JOBS]
    assert [r.job for r in ran if r.exit_code] == ["backup"]
    assert not t.slept


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.name)
def test_on_calendar_is_the_same_schedule_for_systemd(job: Job) -> None:
    """systemd-analyze computes the next elapses of the unit's OnCalendar; they are the
    moments run-periodic computes."""
    tool = require_tool("systemd-analyze", "apt-get install systemd")
    base = datetime(2026, 11, 24, 1, 7, 0, tzinfo=UTC)
    proc = subprocess.run(
        [
            tool,
            "calendar",
            "--iterations=30",
            f"--base-time=@{int(base.timestamp())}",
            job.when.on_calendar(),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
    )
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", proc.stdout)
    theirs = [datetime.fromisoformat(s).replace(tzinfo=UTC) for s in found]
    assert len(theirs) == 30, proc.stdout
    ours, t = [], base
    for _ in range(30):
        t = job.when.next_after(t)
        ours.append(t)
    assert ours == theirs
