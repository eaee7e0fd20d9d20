"""`madoguchi staff add | list | token` as an administrator runs them: the password never on
the command line, the token shown once and stored only as a hash, errors in Japanese."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from madoguchi.bootstrap import build
from madoguchi.config import Settings
from tests.support.processes import MADOGUCHI, madoguchi, madoguchi_json

PASSWORD = "kyou-mo-ichinichi-2026"


def add(data: Path, login: str, role: str = "clerk", **kw: object) -> dict[str, object]:
    return madoguchi_json(
        "staff",
        "add",
        "--login",
        login,
        "--name",
        "窓口 花子",
        "--role",
        role,
        "--office",
        "main",
        "--data-dir",
        str(data),
        env={"MADOGUCHI_NEW_PASSWORD": PASSWORD},
        **kw,
    )


def run_without_env_password(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MADOGUCHI_NEW_PASSWORD"}
    return subprocess.run(
        [str(MADOGUCHI), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_add_list_and_a_token_that_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = add(data, "Hanako.M", role="supervisor")
    account = created["account"]
    assert isinstance(account, dict)
    assert {k: account[k] for k in ("login", "name", "role", "office", "active")} == {
        "login": "hanako.m",  # login names are lower case
        "name": "窓口 花子",
        "role": "supervisor",
        "office": "main",
        "active": True,
    }
    listed = madoguchi_json("staff", "list", "--data-dir", str(data))
    assert [(a["login"], a["role"]) for a in listed["accounts"]] == [("hanako.m", "supervisor")]
    people = madoguchi("staff", "list", "--data-dir", str(data)).stdout
    assert "hanako.m" in people and "監督者" in people

    issued = madoguchi_json(
        "staff", "token", "--login", "hanako.m", "--label", "窓口端末1", "--data-dir", str(data)
    )
    token = str(issued["token"])
    assert token.startswith("mdg_") and issued["label"] == "窓口端末1"
    shown = madoguchi("staff", "token", "--login", "hanako.m", "--data-dir", str(data)).stdout
    assert "今だけ表示されます" in shown

    c = build(Settings(data_dir=data))
    owner = c.staff.token_account(token)
    assert owner is not None and owner.id == "hanako.m"
    assert c.staff.login("hanako.m", PASSWORD, terminal="T1").account.id == "hanako.m"
    with sqlite3.connect(data / "madoguchi.db") as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump and PASSWORD not in dump  # hashes only
    with c.uow() as uow:
        actions = [(e.action, e.terminal) for e in uow.counter.audit_entries()]
    assert ("staff.create", "cli") in actions and ("staff.api_token", "cli") in actions


def test_the_password_can_come_from_a_pipe(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ("staff", "add", "--login", "sato", "--name", "佐藤 一郎", "--role", "admin")
    ok = run_without_env_password(
        *args, "--office", "main", "--data-dir", str(data), stdin=PASSWORD + "\n"
    )
    assert ok.returncode == 0, ok.stderr
    assert PASSWORD not in ok.stdout + ok.stderr
    c = build(Settings(data_dir=data))
    assert c.staff.login("sato", PASSWORD, terminal="T1").account.role.value == "admin"

    none = run_without_env_password(
        *args, "--office", "main", "--data-dir", str(data), "--json", stdin=""
    )
    assert none.returncode == 2
    assert "MADOGUCHI_NEW_PASSWORD" in none.stderr and "Traceback" not in none.stderr


def test_refusals_are_said_in_japanese(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add(data, "yamada")
    again = madoguchi(
        "staff",
        "add",
        "--login",
        "yamada",
        "--name",
        "山田",
        "--role",
        "clerk",
        "--office",
        "main",
        "--data-dir",
        str(data),
        "--json",
        env={"MADOGUCHI_NEW_PASSWORD": PASSWORD},
        check=False,
    )
    assert again.returncode == 1
    assert "すでに使われています" in again.stderr
    assert '"code": "login_taken"' in again.stdout

    def attempt(*extra: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
        return madoguchi(
            "staff",
            "add",
            "--name",
            "試験",
            "--data-dir",
            str(data),
            *extra,
            env={"MADOGUCHI_NEW_PASSWORD": password},
            check=False,
        )

    weak = attempt("--login", "kato", "--role", "clerk", "--office", "main", password="short")
    assert weak.returncode == 1 and "10文字以上" in weak.stderr
    role = attempt("--login", "kato", "--role", "boss", "--office", "main")
    assert role.returncode == 2 and "clerk, supervisor, admin" in role.stderr
    office = attempt("--login", "kato", "--role", "clerk", "--office", "moon")
    assert office.returncode == 2 and "窓口は登録されていません" in office.stderr
    login = attempt("--login", "Ka To!", "--role", "clerk", "--office", "main")
    assert login.returncode == 1 and "ログイン名は" in login.stderr
    missing = attempt("--login", "kato", "--office", "main")
    assert missing.returncode == 2 and "--role" in missing.stderr

    nobody = madoguchi("staff", "token", "--login", "nobody", "--data-dir", str(data), check=False)
    assert nobody.returncode == 1 and "職員アカウントはありません" in nobody.stderr
    for proc in (again, weak, role, office, login, missing, nobody):
        assert "Traceback" not in proc.stderr
    listed = madoguchi_json("staff", "list", "--data-dir", str(data))
    assert [a["login"] for a in listed["accounts"]] == ["yamada"]


def test_tokens_expire_are_listed_and_revoked_one_by_one(tmp_path: Path) -> None:
    """Issue 14, item 5: ``--days``, ``staff tokens`` and ``staff revoke-token``."""
    data = tmp_path / "data"
    add(data, "taro")
    base = ("--login", "taro", "--data-dir", str(data))
    short = madoguchi_json("staff", "token", "--label", "T1", "--days", "7", *base)
    other = madoguchi_json("staff", "token", "--label", "T2", *base)
    listed = madoguchi_json("staff", "tokens", *base)["tokens"]
    assert [t["label"] for t in listed] == ["T1", "T2"]
    assert listed[0]["expires_at"] == short["expires_at"]
    assert listed[1]["expires_at"] == other["expires_at"]
    assert listed[0]["expires_at"] < listed[1]["expires_at"]  # 7 days against the default 90
    assert madoguchi_json("staff", "revoke-token", "--ref", listed[0]["ref"], *base)["revoked"]
    c = build(Settings(data_dir=data))
    assert c.staff.token_account(str(short["token"])) is None
    assert c.staff.token_account(str(other["token"])) is not None
    after = madoguchi_json("staff", "tokens", *base)["tokens"]
    assert [t["revoked"] for t in after] == [True, False]
    refused = madoguchi("staff", "revoke-token", "--ref", "0" * 12, *base, check=False)
    assert (
        refused.returncode != 0 and "そのAPIトークンはありません" in refused.stderr + refused.stdout
    )
