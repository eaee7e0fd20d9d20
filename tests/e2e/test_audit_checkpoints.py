"""Signed audit checkpoints (issue 8): tampering with, deleting or reordering any row is found
by the hash chain; cutting off the tail below a checkpoint is found by the checkpoints, and so
is deleting the checkpoints from the database (the file outside it still has them) or forging
one (Ed25519 signature)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.processes import madoguchi, madoguchi_json


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("checkpoints") / "data"
    madoguchi_json("demo-data", "--data-dir", str(data))
    made = madoguchi_json("audit", "checkpoint", "--data-dir", str(data))
    assert made["made"]
    assert not madoguchi_json("audit", "checkpoint", "--data-dir", str(data))["made"]  # idempotent
    return data


def copy(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "data"))


def verify(data: Path) -> tuple[int, str]:
    r = madoguchi("audit", "verify", "--data-dir", str(data), check=False)
    return r.returncode, r.stdout


def test_intact_log_verifies(base: Path, tmp_path: Path) -> None:
    data = copy(base, tmp_path)
    out = madoguchi_json("audit", "verify", "--data-dir", str(data))
    assert out["ok"] and out["checkpoints"] == 1


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE audit_log SET clerk = 'mallory' WHERE seq = 3", "改ざん"),
        ("DELETE FROM audit_log WHERE seq = 4", "改ざん"),
        ("UPDATE audit_log SET id = -id WHERE seq IN (5, 6)", "改ざん"),  # reordered
        ("DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 3 FROM audit_log)", "末尾"),  # cut
    ],
)
def test_tampering_is_detected(base: Path, tmp_path: Path, sql: str, words: str) -> None:
    data = copy(base, tmp_path)
    with sqlite3.connect(data / "madoguchi.db") as db:
        db.execute(sql)
    code, out = verify(data)
    assert code == 1 and words in out, out


def test_cutting_the_tail_and_the_checkpoints_is_detected_by_the_file(
    base: Path, tmp_path: Path
) -> None:
    data = copy(base, tmp_path)
    with sqlite3.connect(data / "madoguchi.db") as db:
        db.execute("DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 3 FROM audit_log)")
        db.execute("DELETE FROM audit_checkpoints")
    code, out = verify(data)
    assert code == 1 and "末尾" in out, out


def test_a_forged_checkpoint_is_detected(base: Path, tmp_path: Path) -> None:
    data = copy(base, tmp_path)
    log = data / "audit" / "checkpoints.log"
    line = json.loads(log.read_text().splitlines()[0])
    line["seq"] -= 1  # point it at another entry, keeping the old signature
    log.write_text(json.dumps(line) + "\n")
    code, out = verify(data)
    assert code == 1 and "署名" in out, out
