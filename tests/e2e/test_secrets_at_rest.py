"""Secrets at rest (issue 8): after a full demo run — demo data, issuances at the counter
with PINs typed on the web forms, an inquiry letter, a notice campaign, a backup — the
database, the data directory and the logs hold no private key in clear, no PIN, and no
12-digit number (the My Number is never needed and never stored). The logs are scanned in
both formats: text, and one JSON object per line (MADOGUCHI_LOG_FORMAT=json, issue 19),
written by the web requests in-process and by the commands.

What is allowed: CA and responder keys encrypted (``ENCRYPTED PRIVATE KEY``), card states
encrypted by the vault, and — in the demo only, documented in docs/pki.md — the generated
secrets under ``data_dir/secrets`` (production passes them in the environment).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.observability import logs
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.integration.web.test_counter_pages import issue, open_case, record, resident_id
from tests.support.processes import madoguchi_json
from tests.support.web import browser

SIGN_PASSWORD = "QZ7K2M9P"  # unique strings, so that a find is a leak and not chance
AUTH_PIN = "8642"
TWELVE = re.compile(
    rb"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])"
)  # a number, not part of a hex serial
CLEAR_KEY = re.compile(rb"-----BEGIN (RSA |EC )?PRIVATE KEY-----")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("secrets")
    data, log_file, json_log = root / "data", root / "madoguchi.log", root / "madoguchi.jsonl"
    env = {"MADOGUCHI_LOG_FILE": str(log_file)}
    json_env = {"MADOGUCHI_LOG_FILE": str(json_log), "MADOGUCHI_LOG_FORMAT": "json"}
    madoguchi_json("demo-data", "--data-dir", str(data), env=env)
    handler = logging.FileHandler(log_file)
    json_handler = logs.make_handler(str(json_log), "json")
    logger = logging.getLogger("madoguchi")
    logger.addHandler(handler)
    logger.addHandler(json_handler)
    logger.setLevel(logging.DEBUG)
    try:
        c = Container(Settings(data_dir=data)).start()
        b = browser(c)
        b.login("clerk")
        for name, kind in (("柏林台", "P1"), ("十勝", "P3")):
            case_id = open_case(b, resident_id(c, name), kind)
            record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
            issue(
                b,
                case_id,
                sign_password=SIGN_PASSWORD,
                sign_password_confirm=SIGN_PASSWORD,
                auth_pin=AUTH_PIN,
                auth_pin_confirm=AUTH_PIN,
            )
            b.get(f"/staff/cases/{case_id}/certificate-copy.pdf")
        wrong = open_case(b, resident_id(c, "一郎"), "P3")
        record(b, wrong, visit="1", items=["card", "holder_pin"], juki_pin="9753")  # a wrong PIN
    finally:
        for h in (handler, json_handler):
            logger.removeHandler(h)
            h.close()
    d = ("--data-dir", str(data))
    madoguchi_json(
        "notices",
        "plan",
        "--from",
        "2026-01-01",
        "--to",
        "2040-12-31",
        "--campaign",
        "S",
        *d,
        env=env,
    )
    madoguchi_json("notices", "dispatch", "--campaign", "S", *d, env=json_env)
    madoguchi_json("audit", "checkpoint", *d, env=env)
    madoguchi_json(
        "backup",
        "--out",
        str(root / "b.backup"),
        *d,
        env={**json_env, "MADOGUCHI_BACKUP_PASSPHRASE": "a long backup passphrase"},
    )
    return data, log_file, json_log


def text_of_database(db: Path, *, numbers: bool = True) -> bytes:
    """Every text value of every table (binary blobs are ciphertext or DER, checked apart)."""
    out = []
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("select name from sqlite_master where type='table'"):
            for row in conn.execute(f'select * from "{table}"'):
                out += [
                    str(v).encode()
                    for v in row
                    if isinstance(v, str) or (numbers and isinstance(v, int))
                ]
    return b"\n".join(out)


def files(data: Path) -> list[Path]:
    return [p for p in data.rglob("*") if p.is_file() and "secrets" not in p.parts]


def test_no_pin_anywhere(system: tuple[Path, Path, Path]) -> None:
    data, log_file, json_log = system
    assert "wrong_pin" in log_file.read_text()  # the logs were written, and are scanned
    assert "wrong_pin" in json_log.read_text(encoding="utf-8")
    for path in [*files(data), log_file, json_log]:
        blob = path.read_bytes()
        assert SIGN_PASSWORD.encode() not in blob, path
        assert f'"{AUTH_PIN}"'.encode() not in blob and f"={AUTH_PIN}".encode() not in blob, path
        if not path.name.startswith("madoguchi.db") and path.suffix not in (".card", ".pdf"):
            # a 4-digit PIN as a value of its own, not four digits inside a hash or a blob
            # (the store is checked column by column below; cards and PDFs are binary)
            assert not re.search(rb"(?<![0-9A-Za-z])9753(?![0-9A-Za-z])", blob), path
    text = text_of_database(data / "madoguchi.db", numbers=False)  # a PIN would be text
    for pin in (SIGN_PASSWORD, AUTH_PIN, "9753", DEMO_JUKI_PIN):
        assert not re.search(rf"(?<![0-9A-Z]){pin}(?![0-9A-Z])".encode(), text), pin


def test_no_private_key_in_clear(system: tuple[Path, Path, Path]) -> None:
    data, log_file, json_log = system
    for path in [*files(data), log_file, json_log]:
        assert not CLEAR_KEY.search(path.read_bytes()), path
    with sqlite3.connect(data / "madoguchi.db") as conn:
        keys = [bytes(k) for (k,) in conn.execute("select key_pem from ocsp_responders")]
    assert keys and all(k.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") for k in keys)
    assert all(
        p.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        for p in (data / "keys").glob("*.pem")
    )
    for card in (data / "cards").glob("*"):
        blob = card.read_bytes()
        assert b"\x30\x82" not in blob[:64] and CLEAR_KEY.search(blob) is None  # ciphertext


def test_no_twelve_digit_number(system: tuple[Path, Path, Path]) -> None:
    data, log_file, json_log = system
    assert not TWELVE.search(text_of_database(data / "madoguchi.db"))
    for path in [*files(data), log_file, json_log]:
        if path.suffix in (".csv", ".json", ".log", ".txt", ".jsonl") or path == log_file:
            assert not TWELVE.search(path.read_bytes()), path


def test_the_json_log_is_one_object_per_line_with_request_ids(
    system: tuple[Path, Path, Path],
) -> None:
    _, _, json_log = system
    lines = [json.loads(line) for line in json_log.read_text(encoding="utf-8").splitlines()]
    loggers = {x["logger"] for x in lines}
    assert {"madoguchi.access", "madoguchi.ca"} <= loggers  # the web requests and a service
    web = [x for x in lines if x["logger"] == "madoguchi.access"]
    assert web and all(x["request_id"] for x in web)
    issued = [x for x in lines if x["logger"] == "madoguchi.ca"]
    assert all(x["request_id"] in {w["request_id"] for w in web} for x in issued)


def test_the_log_formatters_redact_what_slips_through() -> None:
    """Belt and braces: a 12-digit number, a PEM private key or a field named like a secret,
    logged by mistake, is written redacted in both formats."""
    record = logging.LogRecord(
        "madoguchi.test", logging.INFO, __file__, 1,
        "resident 123456789012 sent -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        None, None,
    )  # fmt: skip
    record.pin = "8642"
    record.detail = {"password": "QZ7K2M9P", "number": 123456789012, "serial": "0123456789abcdef0"}
    for formatter in (logs.RedactingJsonFormatter(), logs.RedactingTextFormatter()):
        text = formatter.format(record)
        assert "123456789012" not in text and "MIIB" not in text, text
    data = json.loads(logs.RedactingJsonFormatter().format(record))
    assert data["pin"] == "[redacted]"
    assert data["detail"] == {
        "password": "[redacted]", "number": "[redacted]", "serial": "0123456789abcdef0",
    }  # fmt: skip


def test_every_file_is_private(system: tuple[Path, Path, Path]) -> None:
    """Issue 14, item 10: made through the CLI (demo data, notice batches, an audit
    checkpoint, a backup, the log), every file is 0600 and every folder 0700."""
    data, log_file, _ = system
    backup = data.parent / "b.backup"
    kinds = {p.suffix for p in data.rglob("*")} | {p.name for p in data.iterdir()}
    assert {".pdf", ".csv", ".card", "audit", "notices", "keys", "madoguchi.db"} <= kinds
    wrong = [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}"
        for p in [data, *data.rglob("*"), log_file, backup]
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    ]
    assert not wrong, wrong
