"""`madoguchi notices …` as the city's batch operator runs them, and a real kill -9 in the
middle of a dispatch (issue 6): the rerun sends nothing twice and loses nothing (R-NOTICE-3,
R-NOTICE-4)."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pytest

from tests.support.pdf import pdf_text
from tests.support.processes import madoguchi, madoguchi_json

WIDE = ("--from", date.today().isoformat(), "--to", "2040-12-31")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("notices") / "data"
    madoguchi_json("demo-data", "--data-dir", str(data))
    return data


def copy_of(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def manifest_numbers(data: Path, campaign: str) -> list[str]:
    out = []
    for f in sorted((data / "notices" / campaign).glob("*.csv")):
        out += [row["number"] for row in csv.DictReader(f.open(encoding="utf-8"))]
    return out


def test_plan_status_dispatch_returned(demo: Path, tmp_path: Path) -> None:
    data = copy_of(demo, tmp_path / "data")
    d = ("--data-dir", str(data))
    plan = madoguchi_json("notices", "plan", *WIDE, "--campaign", "C1", *d)
    assert plan["planned"] >= 5
    again = madoguchi_json("notices", "plan", *WIDE, "--campaign", "C1", *d)
    assert again["planned"] == 0 and again["already_planned"] == plan["planned"]
    human = madoguchi("notices", "status", "--campaign", "C1", *d).stdout
    assert "送付予定" in human

    madoguchi_json("notices", "pause", "--campaign", "C1", *d)
    paused = madoguchi_json("notices", "dispatch", "--campaign", "C1", *d)
    assert paused["paused"] and paused["sent"] == 0
    madoguchi_json("notices", "resume", "--campaign", "C1", *d)
    sent = madoguchi_json("notices", "dispatch", "--campaign", "C1", "--batch-size", "2", *d)
    assert sent["sent"] == plan["planned"] - sent["suppressed"]
    assert len(sent["batches"]) == -(-sent["sent"] // 2)
    first_pdf = Path(sent["batches"][0]["pdf"])
    assert "有効期限通知書" in pdf_text(first_pdf.read_bytes())

    number = manifest_numbers(data, "C1")[0]
    early = madoguchi("notices", "returned", number, *d, check=False)  # print data only
    assert early.returncode == 1 and "印刷業者に引き渡していません" in early.stdout + early.stderr
    for batch in sent["batches"]:  # the print vendor took them: now they are mailed
        handed = madoguchi_json("notices", "handover", batch["id"], *d)
        assert handed["state"] == "handed_over"
    madoguchi_json("notices", "returned", number, *d)
    status = madoguchi_json("notices", "status", "--campaign", "C1", *d)
    assert status["campaigns"][0]["counts"]["returned"] == 1
    twice = madoguchi("notices", "returned", number, *d, check=False)
    assert twice.returncode == 1 and "送付していません" in twice.stdout + twice.stderr
    unknown = madoguchi("notices", "status", "--campaign", "NOPE", *d, check=False)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr


@pytest.mark.parametrize("point", ["notices.before_write@2", "notices.after_write@2"])
def test_kill_9_mid_dispatch_sends_nothing_twice_and_loses_nothing(
    demo: Path, tmp_path: Path, point: str
) -> None:
    data = copy_of(demo, tmp_path / "data")
    d = ("--data-dir", str(data))
    planned = madoguchi_json("notices", "plan", *WIDE, "--campaign", "K", *d)["planned"]
    killed = madoguchi(
        "notices",
        "dispatch",
        "--campaign",
        "K",
        "--batch-size",
        "2",
        *d,
        env={"MADOGUCHI_FAILPOINT": point},
        check=False,
    )
    assert killed.returncode == -9, killed.stderr  # a real SIGKILL, mid-batch
    middle = madoguchi_json("notices", "status", "--campaign", "K", *d)["campaigns"][0]
    assert [b["state"] for b in middle["batches"]] == ["done", "open"]

    rerun = madoguchi_json("notices", "dispatch", "--campaign", "K", "--batch-size", "2", *d)
    final = madoguchi_json("notices", "status", "--campaign", "K", *d)["campaigns"][0]
    counts = final["counts"]
    assert sum(counts.values()) == planned  # nothing lost
    assert counts.get("planned", 0) == 0
    assert all(b["state"] == "done" for b in final["batches"])
    assert rerun["batches"][0]["id"] == middle["batches"][1]["id"]  # the open batch, finished
    numbers = manifest_numbers(data, "K")
    assert len(numbers) == len(set(numbers)) == counts["sent"]  # nothing sent twice
    assert not list((data / "notices" / "K").glob("*.tmp"))
    assert madoguchi_json("audit", "verify", *d)["ok"]
    assert os.environ.get("MADOGUCHI_FAILPOINT") is None
