"""The running service, as an attacker and an operator see it (issue 14, items 8 and 10).

* Item 8: CR, LF, NUL and the other control characters of a request path never reach
  ``madoguchi.log`` raw, so no request can write a line that passes for a record of its own.
* Item 10: every file of a data directory made and served through the CLI is 0600 and every
  folder 0700 — the database with its WAL and SHM, the writer lock, the log, the keys; what is
  public by nature (CA certificates, CRLs) is exported 0644.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import madoguchi_json, serving

# case ids in a staff page's path carrying CR LF, NUL, ESC, a C1 control (NEL) and U+2028,
# each a line break to some reader of the log, and a line that looks like a record
FORGED = "2026-01-01 00:00:00 ERROR x"  # ids are cut at 32 characters
EVIL = ["%0D%0A" + FORGED.replace(" ", "%20"), "x%00y%0Dz", "a%C2%85b%E2%80%A8c%1Bd"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a-long-password-2026"
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """A data directory made by the CLI (a CA and a clerk), served with its log inside it."""
    data = tmp_path_factory.mktemp("served") / "data"
    log_file = data / "madoguchi.log"
    env = {"MADOGUCHI_LOG_FILE": str(log_file)}
    d = ("--data-dir", str(data))
    madoguchi_json("ca", "init", *d)  # creates the data directory; the log goes inside it
    madoguchi_json(
        "staff",
        *("add", "--login", "clerk", "--name", "窓口 一子", "--role", "clerk", "--office", "main"),
        *d,
        env={**env, "MADOGUCHI_NEW_PASSWORD": PASSWORD},
    )
    with serving(data, env=env) as url:
        yield data, log_file, url


def test_control_characters_of_a_request_are_escaped_in_the_log(
    served: tuple[Path, Path, str],
) -> None:
    _, log_file, url = served
    with httpx.Client(base_url=url, timeout=30) as staff:
        page = staff.get("/staff/login")
        token = CSRF.search(page.text)
        assert token, page.text
        form = {"csrf_token": token.group(1), "login": "clerk", "password": PASSWORD}
        assert staff.post("/staff/login", data=form).status_code in (200, 303)
        for evil in EVIL:
            r = staff.get(f"/staff/cases/{evil}")
            assert r.status_code == 404, r.text  # refused and logged: "refused unknown_case: …"
    raw = log_file.read_bytes()
    text = raw.decode("utf-8")
    assert text.count("refused unknown_case") == len(EVIL), text  # the requests were logged
    assert b"\x00" not in raw and b"\r" not in raw and b"\x1b" not in raw
    assert "\u2028" not in text and "\x85" not in text
    for line in text.splitlines():
        assert RECORD.match(line) or line.startswith("  | "), repr(line)
    # escaped, in the record that logged it
    assert "unknown_case: no case \\r\\n" + FORGED in text
    assert "x\\x00y\\rz" in text and "a\\x85b\\u2028c\\x1bd" in text
    assert not any(line.startswith(FORGED) for line in text.splitlines())


def test_every_file_of_the_data_directory_is_private(served: tuple[Path, Path, str]) -> None:
    data, log_file, url = served
    assert httpx.get(f"{url}/crl/sign.crl", timeout=30).status_code == 200  # the store works
    found = {p.name for p in data.rglob("*")}
    # SQLite's WAL and SHM exist while the service runs; the lock file guards writers
    assert {"madoguchi.db", "madoguchi.db-wal", "madoguchi.db-shm", log_file.name} <= found
    assert {"madoguchi.db-writer.lock", "keys", "secrets"} <= found
    wrong = [
        f"{oct(stat.S_IMODE(p.stat().st_mode))} {p.relative_to(data)}"
        for p in [data, *data.rglob("*")]
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    ]
    assert not wrong, wrong


def test_public_exports_stay_readable(served: tuple[Path, Path, str], tmp_path: Path) -> None:
    data = served[0]
    out = tmp_path / "public"
    madoguchi_json("ca", "export", "--out", str(out / "ca"), "--data-dir", str(data))
    madoguchi_json(
        *("ca", "crl", "--kind", "auth", "--out", str(out / "crl" / "auth.crl")),
        *("--data-dir", str(data)),
    )
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*")}
    assert modes == {
        "ca": 0o755,
        "ca/sign-ca.pem": 0o644,
        "ca/auth-ca.pem": 0o644,
        "crl": 0o755,
        "crl/auth.crl": 0o644,
    }
