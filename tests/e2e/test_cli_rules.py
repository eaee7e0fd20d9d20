"""`madoguchi rules …`: the contract of issue 2 (JSON keys, exit codes, Japanese output)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from madoguchi.cli.main import build_app

runner = CliRunner()
MADOGUCHI = Path(sys.executable).with_name("madoguchi")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    exit_code, out, err = run(*args, "--json")
    assert exit_code == code, (out, err)
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "--kind",
                "sign",
                "--birth",
                "1980-07-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2036-07-01",
            ],
            {"expires_on": "2030-07-01", "limited_by": "birthday", "birthday": 5},
        ),
        (
            [
                "--kind",
                "sign",
                "--birth",
                "1980-07-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2036-07-01",
                "--replacing",
                "2026-06-15",
            ],
            {"expires_on": "2031-07-01", "limited_by": "birthday", "birthday": 6},
        ),
        (
            [
                "--kind",
                "sign",
                "--birth",
                "1980-07-01",
                "--issued",
                "2026-03-15",
                "--card-expiry",
                "2036-07-01",
                "--replacing",
                "2026-06-15",
            ],
            {"expires_on": "2030-07-01", "limited_by": "birthday", "birthday": 5},
        ),
        (
            [
                "--kind",
                "auth",
                "--birth",
                "1980-07-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2029-01-31",
            ],
            {"expires_on": "2029-01-31", "limited_by": "card", "birthday": 5},
        ),
        (
            [
                "--kind",
                "sign",
                "--birth",
                "1980-07-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2036-07-01",
                "--auth-expiry",
                "2028-07-01",
            ],
            {"expires_on": "2028-07-01", "limited_by": "auth_certificate", "birthday": 5},
        ),
    ],
)
def test_r_val_rules_expiry(args: list[str], expected: dict[str, Any]) -> None:
    data = run_json("rules", "expiry", *args)
    assert {k: data[k] for k in expected} == expected
    assert data["not_after"].endswith("T14:59:59+00:00")  # R-DATE-1


def test_r_card_1_rules_card_expiry() -> None:
    data = run_json("rules", "card-expiry", "--birth", "2008-04-02", "--created", "2026-04-01")
    assert data["expires_on"] == "2030-04-02"


def test_r_val_3_rules_renewal_window() -> None:
    assert (
        run_json("rules", "renewal-window", "--expires", "2026-06-15")["opens_on"] == "2026-03-16"
    )
    assert (
        run_json("rules", "renewal-window", "--expires", "2026-05-31")["opens_on"] == "2026-03-01"
    )


@pytest.mark.parametrize(
    ("args", "procedure", "visits"),
    [
        (["new", "self", "--pin-known"], "P1", [("issue", ["card", "holder_pin"])]),
        (["new", "self"], "P1", [("issue", ["card", "holder_id"])]),
        (
            ["new", "proxy"],
            "P2",
            [
                ("request", ["card", "proxy_id"]),
                ("issue", ["inquiry_letter", "power_of_attorney", "card", "proxy_id"]),
            ],
        ),
        (
            ["renewal", "self", "--notice", "--pin-known"],
            "P3",
            [("issue", ["card", "holder_pin", "expiry_notice"])],
        ),
        (
            ["renewal", "proxy", "--notice"],
            "P4",
            [
                (
                    "issue",
                    ["card", "expiry_notice", "inquiry_reply", "power_of_attorney", "proxy_id"],
                )
            ],
        ),
        (
            ["renewal", "proxy"],
            "P5",
            [
                ("request", ["card", "holder_id", "proxy_id"]),
                ("issue", ["inquiry_letter", "power_of_attorney", "card", "proxy_id"]),
            ],
        ),
    ],
)
def test_rules_checklist(args: list[str], procedure: str, visits: list[Any]) -> None:
    purpose, applicant, *flags = args
    data = run_json("rules", "checklist", "--procedure", purpose, "--applicant", applicant, *flags)
    assert data["procedure"] == procedure
    assert [(v["step"], v["items"]) for v in data["visits"]] == visits


@pytest.mark.parametrize(
    ("kind", "value", "code", "valid", "normalized"),
    [
        ("sign", "abc123", 0, True, "ABC123"),
        ("sign", "abcdef", 1, False, "ABCDEF"),
        ("auth", "1234", 0, True, "1234"),
        ("juki", "12345", 1, False, "12345"),
        ("kenmen", "0000", 0, True, "0000"),
    ],
)
def test_r_pin_1_rules_pin(kind: str, value: str, code: int, valid: bool, normalized: str) -> None:
    data = run_json("rules", "pin", "--kind", kind, value, code=code)
    assert (data["valid"], data["normalized"]) == (valid, normalized)


def test_r_proc_4_rules_fee() -> None:
    data = run_json("rules", "fee", "--on", "2026-11-24")
    assert (data["standard"], data["due"], data["waived"]) == (200, 0, True)


@pytest.mark.parametrize(
    ("office", "at", "can_process", "is_open"),
    [
        ("main", "2026-11-24T10:00", True, True),
        ("main", "2026-11-24T18:00", True, False),
        ("kawanishi", "2026-11-24T10:00", False, True),
        ("taisho", "2026-11-28T10:00", False, False),
    ],
)
def test_r_proc_0_rules_office(office: str, at: str, can_process: bool, is_open: bool) -> None:
    data = run_json("rules", "office", "--office", office, "--at", at)
    assert (data["can_process"], data["open"]) == (can_process, is_open)


@pytest.mark.parametrize(
    ("args", "eligible", "reason"),
    [
        (["--kind", "sign", "--birth", "2012-01-01", "--on", "2026-11-24"], False, "under_15"),
        (["--kind", "auth", "--birth", "2012-01-01", "--on", "2026-11-24"], True, None),
        (
            ["--kind", "sign", "--birth", "1970-01-01", "--on", "2026-11-24", "--adult-ward"],
            False,
            "adult_ward",
        ),
        (
            ["--kind", "sign", "--birth", "1970-01-01", "--on", "2016-01-04", "--juki-card"],
            False,
            "juki_card_ended",
        ),
    ],
)
def test_r_elig_rules_eligible(args: list[str], eligible: bool, reason: str | None) -> None:
    data = run_json("rules", "eligible", *args)
    assert (data["eligible"], data["reason"]) == (eligible, reason)


@pytest.mark.parametrize(
    ("event", "revoke", "hold"),
    [
        ("name", ["sign"], []),
        ("address", ["sign"], []),
        ("birth", ["sign"], []),
        ("gender", ["sign"], []),
        ("minor_address", [], []),
        ("death", ["sign", "auth"], []),
        ("move_out", ["sign"], []),
        ("move_out_no_move_in", ["auth"], []),
        ("lost", [], ["sign", "auth"]),
        ("returned", ["sign", "auth"], []),
        ("request", ["sign", "auth"], []),
    ],
)
def test_r_rev_rules_revocation(event: str, revoke: list[str], hold: list[str]) -> None:
    data = run_json("rules", "revocation", "--event", event)
    assert (data["revoke"], data["hold"]) == (revoke, hold)


def test_human_output_is_japanese() -> None:
    code, out, _ = run(
        "rules",
        "expiry",
        "--kind",
        "sign",
        "--birth",
        "1980-07-01",
        "--issued",
        "2026-04-01",
        "--card-expiry",
        "2036-07-01",
    )
    assert code == 0
    assert "令和12年7月1日" in out
    assert "2030-07-01" in out
    assert "署名用電子証明書" in out
    code, out, _ = run("rules", "office", "--office", "kawanishi", "--at", "2026-11-24T10:00")
    assert "本庁" in out
    assert "できません" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            [
                "rules",
                "expiry",
                "--kind",
                "sign",
                "--birth",
                "2026-02-30",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2036-07-01",
            ],
            "--birth の日付「2026-02-30」は正しくありません",
        ),
        (
            [
                "rules",
                "expiry",
                "--kind",
                "card",
                "--birth",
                "1980-01-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2036-07-01",
            ],
            "--kind には次のいずれかを指定してください: sign, auth",
        ),
        (
            [
                "rules",
                "expiry",
                "--kind",
                "sign",
                "--birth",
                "1980-01-01",
                "--issued",
                "2026-04-01",
                "--card-expiry",
                "2020-07-01",
            ],
            "カードの有効期限が過ぎています",
        ),
        (["rules", "fee", "--on", "yesterday"], "--on の日付「yesterday」は正しくありません"),
        (
            ["rules", "office", "--office", "sapporo", "--at", "2026-11-24T10:00"],
            "--office には次のいずれかを指定してください",
        ),
        (["rules", "office", "--office", "main", "--at", "2026-11-24 25:00"], "--at の日時"),
        (
            ["rules", "revocation", "--event", "marriage"],
            "--event には次のいずれかを指定してください",
        ),
        (["rules", "card-expiry", "--birth", "1980-01-01"], "--created を指定してください"),
        (
            ["rules", "fee", "--on", "2026-11-24", "--colour"],
            "--colour というオプションはありません",
        ),
    ],
)
def test_bad_input_exits_2_with_a_japanese_message(args: list[str], fragment: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in out + err


def test_bad_input_with_json_also_prints_a_json_error() -> None:
    code, out, err = run("rules", "fee", "--on", "2026-13-01", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "invalid_date"
    assert "正しくありません" in err


def test_console_script_end_to_end() -> None:
    assert MADOGUCHI.exists(), "make installs the madoguchi console script into the venv"
    ok = subprocess.run(
        [str(MADOGUCHI), "rules", "renewal-window", "--expires", "2026-06-15", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["opens_on"] == "2026-03-16"
    bad = subprocess.run(
        [
            str(MADOGUCHI),
            "rules",
            "card-expiry",
            "--birth",
            "1980-02-30",
            "--created",
            "2026-01-01",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "正しくありません" in bad.stderr
