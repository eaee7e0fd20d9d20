"""`madoguchi backup` / `madoguchi restore` (issue 8): a backup of a demo system restored into
a fresh data directory — on SQLite and on a real PostgreSQL — has everything: the store row
for row, the CA keys (OCSP still signs), the card states (a PIN still verifies), the notice
batches, and an audit chain that verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography import x509

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.pins import PinKind
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.support.postgres import create_database
from tests.support.processes import madoguchi, madoguchi_json

PASS = {"MADOGUCHI_BACKUP_PASSPHRASE": "a long backup passphrase"}


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    src = tmp_path_factory.mktemp("backup") / "data"
    d = ("--data-dir", str(src))
    madoguchi_json("demo-data", *d)
    madoguchi_json(
        "notices", "plan", "--from", "2026-01-01", "--to", "2040-12-31", "--campaign", "B", *d
    )
    madoguchi_json("notices", "dispatch", "--campaign", "B", *d)
    out = src.parent / "madoguchi.backup"
    made = madoguchi_json("backup", "--out", str(out), *d, env=PASS)
    assert made["files"] > 10
    return src, out


def counts(c: Container) -> dict[str, int]:
    from sqlalchemy import func, select

    from madoguchi.store.models import Base

    with c.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() or 0
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_into_a_fresh_directory_finds_everything(
    backup: tuple[Path, Path], tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    src, archive = backup
    dst = tmp_path / "restored"
    env = dict(PASS)
    if backend == "postgresql":
        env["MADOGUCHI_DATABASE_URL"] = create_database(
            request.getfixturevalue("postgres"), "restore"
        )
    madoguchi_json("restore", "--from", str(archive), "--data-dir", str(dst), env=env)
    assert madoguchi_json("audit", "verify", "--data-dir", str(dst), env=env)["ok"]

    before = Container(Settings(data_dir=src)).start()
    after = Container(
        Settings(data_dir=dst, database_url=env.get("MADOGUCHI_DATABASE_URL"))
    ).start()
    assert counts(after) == counts(before)
    with after.uow() as uow:
        (person,) = uow.counter.find_residents(name="十勝")
        (card,) = uow.counter.cards_of(person.id)
        records = uow.pki.certificates_of_card(card.id)
    # the card state came back and still knows its PIN
    after.card_side.verify_pin(card.id, PinKind.JUKI, DEMO_JUKI_PIN)
    # the CA keys came back: a fresh OCSP answer is signed and says good
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp

    rec = records[-1]
    cert = x509.load_der_x509_certificate(rec.der)
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, after.ca.authorities[rec.kind].cert, hashes.SHA1())
        .build()
    )
    answer = ocsp.load_der_ocsp_response(after.ca.ocsp.answer(req.public_bytes(Encoding.DER)))
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert sorted(p.name for p in (dst / "notices" / "B").glob("*.pdf")) == sorted(
        p.name for p in (src / "notices" / "B").glob("*.pdf")
    )


def test_wrong_passphrase_changed_file_and_non_empty_target_are_refused(
    backup: tuple[Path, Path], tmp_path: Path
) -> None:
    src, archive = backup
    wrong = madoguchi(
        "restore",
        "--from",
        str(archive),
        "--data-dir",
        str(tmp_path / "a"),
        env={"MADOGUCHI_BACKUP_PASSPHRASE": "not the right passphrase"},
        check=False,
    )
    assert wrong.returncode == 1 and "パスフレーズが違う" in wrong.stdout + wrong.stderr
    changed = tmp_path / "changed.backup"
    data = bytearray(archive.read_bytes())
    data[100] ^= 1
    changed.write_bytes(bytes(data))
    bad = madoguchi(
        "restore", "--from", str(changed), "--data-dir", str(tmp_path / "b"), env=PASS, check=False
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    full = madoguchi(
        "restore", "--from", str(archive), "--data-dir", str(src), env=PASS, check=False
    )
    assert full.returncode == 1 and "空ではありません" in full.stdout + full.stderr
    with sqlite3.connect(src / "madoguchi.db") as db:  # the source was not touched
        assert db.execute("select count(*) from residents").fetchone()[0] > 5


def test_the_archive_is_encrypted(backup: tuple[Path, Path]) -> None:
    _, archive = backup
    data = archive.read_bytes()
    assert data.startswith(b"MDGBAK1")
    assert b"PRIVATE KEY" not in data and "帯広".encode() not in data
    assert oct(archive.stat().st_mode)[-3:] == "600"
