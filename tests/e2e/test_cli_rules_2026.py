"""`madoguchi rules …` for SPEC §10 (issue 16's contract): id-check, abroad, validity-change,
chars, and the extended revocation, eligible, card-expiry and fee — JSON keys, exit codes,
Japanese output and bad input (exit 2, `{"error": …}` with --json)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from typer.testing import CliRunner

from madoguchi.cli.main import build_app
from tests.support.processes import MADOGUCHI

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(build_app(), ["rules", *args])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    exit_code, out, err = run(*args, "--json")
    assert exit_code == code, (out, err)
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


# --- R-ID: rules id-check ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "docs", "on", "code", "accepted", "reason"),
    [
        ("holder", "driver_license", "2026-01-10", 0, True, None),
        ("holder", "health_insurance_card", "2025-12-01", 0, True, None),
        ("holder", "health_insurance_card", "2025-12-02", 1, False, "health_insurance_card_ended"),
        ("holder", "qualification_certificate", "2026-01-10", 0, True, None),
        ("proxy", "qualification_certificate,student_id", "2026-01-10", 0, True, None),
        ("proxy", "student_id,patient_card", "2026-01-10", 1, False, "public_document_needed"),
        ("proxy", "pension_document", "2026-01-10", 1, False, "second_document_needed"),
        (
            "proxy",
            "health_insurance_card,student_id",
            "2026-01-10",
            1,
            False,
            "health_insurance_card_ended",
        ),
    ],
)
def test_r_id_2_and_3_rules_id_check(
    who: str, docs: str, on: str, code: int, accepted: bool, reason: str | None
) -> None:
    data = run_json("id-check", "--who", who, "--docs", docs, "--on", on, code=code)
    assert (data["accepted"], data["reason"]) == (accepted, reason)
    assert data["on"] == on
    assert data["documents"] == docs.split(",")


def test_r_id_3_rules_id_check_names_the_qualification_certificate() -> None:
    code, out, _ = run(
        "id-check", "--who", "holder", "--docs", "health_insurance_card", "--on", "2026-01-10"
    )
    assert code == 1
    assert "資格確認書" in out and "確認できません" in out and "令和8年1月10日" in out


def test_r_id_1_rules_id_check_without_on_judges_today() -> None:
    data = run_json("id-check", "--who", "proxy", "--docs", "passport")
    assert data["accepted"] is True
    assert len(data["on"]) == 10


# --- R-ABROAD: rules abroad and the new revocation events --------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["jp", "2026-12-01", "2026-11-30", "self"],
            {
                "continue_allowed": True,
                "continue_reason": None,
                "sign_allowed": True,
                "sign_reason": None,
            },
        ),
        (
            ["jp", "2026-12-01", "2026-12-01", "self"],
            {
                "continue_allowed": False,
                "continue_reason": "too_late",
                "sign_allowed": False,
                "sign_reason": "card_lapsed",
            },
        ),
        (
            ["foreign", "2026-12-01", "2026-11-01", "self"],
            {
                "continue_allowed": False,
                "continue_reason": "foreign_national",
                "sign_allowed": False,
                "sign_reason": "foreign_national",
            },
        ),
        (
            ["jp", "2026-12-01", "2026-11-20", "household"],
            {"sign_allowed": True, "sign_route": "same_day_with_attorney"},
        ),
        (
            ["jp", "2026-12-01", "2026-11-20", "proxy"],
            {"sign_allowed": True, "sign_route": "inquiry_letter", "sign_issue_by": "2026-11-30"},
        ),
        (
            ["jp", "2026-12-01", "2027-01-15", "proxy", "--continued"],
            {"sign_allowed": False, "sign_reason": "proxy_after_move_out"},
        ),
        (
            ["jp", "2026-12-01", "2027-01-15", "self", "--continued"],
            {"sign_allowed": True, "sign_reason": None, "free_new_card_until": "2027-03-01"},
        ),
    ],
)
def test_r_abroad_1_and_3_rules_abroad(args: list[str], expected: dict[str, Any]) -> None:
    nationality, move_out, on, applicant, *flags = args
    data = run_json(
        "abroad",
        "--nationality",
        nationality,
        "--move-out",
        move_out,
        "--on",
        on,
        "--applicant",
        applicant,
        *flags,
    )
    assert {k: data[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("event", "revoke", "hold", "reason"),
    [
        ("move_abroad_continue", ["sign"], [], "affiliationChanged"),
        ("move_abroad", ["sign", "auth"], [], "cessationOfOperation"),
        ("face_auth_switch", ["sign"], [], "cessationOfOperation"),
    ],
)
def test_r_abroad_2_and_r_face_1_rules_revocation(
    event: str, revoke: list[str], hold: list[str], reason: str
) -> None:
    data = run_json("revocation", "--event", event)
    assert (sorted(data["revoke"]), data["hold"], data["reason"]) == (sorted(revoke), hold, reason)


def test_r_abroad_2_rules_revocation_says_the_abroad_certificate_survives() -> None:
    code, out, _ = run("revocation", "--event", "move_abroad_continue")
    assert code == 0 and "国外転出者向け" in out


# --- R-FACE, R-CARD-2…4, R-FEE -----------------------------------------------------------


def test_r_face_1_rules_eligible_face_auth() -> None:
    base = ["eligible", "--birth", "1980-01-01", "--on", "2026-11-24", "--face-auth"]
    sign = run_json(*base, "--kind", "sign")
    assert (sign["eligible"], sign["reason"]) == (False, "face_auth_card")
    auth = run_json(*base, "--kind", "auth")
    assert (auth["eligible"], auth["reason"]) == (True, None)


@pytest.mark.parametrize(
    ("extra", "expires_on", "by_stay"),
    [
        (["--stay-until", "2027-03-31", "--status", "other"], "2027-03-31", True),
        (["--stay-until", "2040-03-31", "--status", "other"], "2035-05-01", False),
        (["--status", "permanent"], "2035-05-01", False),
        (["--status", "highly_skilled_2"], "2035-05-01", False),
        (["--stay-until", "2027-03-31"], "2027-03-31", True),
    ],
)
def test_r_card_2_rules_card_expiry_with_status(
    extra: list[str], expires_on: str, by_stay: bool
) -> None:
    data = run_json("card-expiry", "--birth", "1990-05-01", "--created", "2026-04-01", *extra)
    assert (data["expires_on"], data["limited_by_stay"]) == (expires_on, by_stay)


VC = ["validity-change", "--birth", "1990-05-01", "--created", "2026-04-01"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--card-expiry", "2027-03-31", "--on", "2027-03-20", "--new-stay-until", "2030-03-31"],
            {
                "allowed": True,
                "new_expiry": "2030-03-31",
                "reason": None,
                "renew_certificates": True,
            },
        ),
        (
            [
                "--card-expiry",
                "2027-03-31",
                "--on",
                "2027-03-20",
                "--new-stay-until",
                "2030-03-31",
                "--applicant",
                "household",
            ],
            {"allowed": True, "renew_certificates": False},
        ),
        (
            ["--card-expiry", "2027-03-31", "--on", "2027-04-01", "--new-stay-until", "2030-03-31"],
            {"allowed": False, "new_expiry": None, "reason": "card_expired"},
        ),
        (
            ["--card-expiry", "2027-03-31", "--on", "2027-03-20", "--special-extension"],
            {"allowed": True, "new_expiry": "2027-05-31", "reason": None},
        ),
        (
            ["--card-expiry", "2026-11-30", "--on", "2026-11-01", "--special-extension"],
            {"allowed": True, "new_expiry": "2027-01-31"},
        ),
        (
            ["--card-expiry", "2027-02-28", "--on", "2027-02-01", "--special-extension"],
            {"allowed": True, "new_expiry": "2027-04-30"},
        ),
        (
            [
                "--card-expiry",
                "2027-03-31",
                "--on",
                "2027-03-20",
                "--special-extension",
                "--extended-before",
            ],
            {"allowed": False, "new_expiry": None, "reason": "extension_used"},
        ),
    ],
)
def test_r_card_3_and_4_rules_validity_change(args: list[str], expected: dict[str, Any]) -> None:
    data = run_json(*VC, *args)
    assert {k: data[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("reason", "due", "waived"),
    [
        ("new", 0, True),
        ("renewal", 0, True),
        ("reissue", 200, False),
        ("reissue_not_at_fault", 0, True),
        ("abroad_reissue_90d", 0, True),
    ],
)
def test_r_fee_1_and_2_rules_fee_reason(reason: str, due: int, waived: bool) -> None:
    data = run_json("fee", "--on", "2026-11-24", "--reason", reason)
    assert (data["standard"], data["due"], data["waived"], data["reason"]) == (
        200,
        due,
        waived,
        reason,
    )


def test_r_fee_2_rules_fee_says_why_a_reissue_is_charged() -> None:
    code, out, _ = run("fee", "--on", "2026-11-24", "--reason", "reissue")
    assert code == 0 and "200円" in out and "再交付" in out


# --- R-X509-2: rules chars ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        (
            "髙橋　一郎",
            0,
            {"in_charset": False, "text": "高橋　一郎", "positions": "10000", "unknown": []},
        ),
        (
            "帯広　花子",
            0,
            {"in_charset": True, "text": "帯広　花子", "positions": "00000", "unknown": []},
        ),
        ("1－2", 0, {"in_charset": True, "text": "1−2", "positions": "000", "unknown": []}),
        ("😀子", 1, {"in_charset": False, "positions": "00", "unknown": ["😀"]}),
    ],
)
def test_r_x509_2_rules_chars(text: str, code: int, expected: dict[str, Any]) -> None:
    data = run_json("chars", text, code=code)
    assert {k: data[k] for k in expected} == expected


def test_r_x509_2_rules_chars_human_output_names_the_character() -> None:
    code, out, _ = run("chars", "𠮷田😀")
    assert code == 1
    assert "「𠮷」(U+20BB7)" in out and "「吉」" in out
    assert "U+1F600" in out and "代替文字がありません" in out


# --- bad input: exit 2, a Japanese message, `{"error": …}` with --json ------------------------


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ["id-check", "--who", "holder", "--docs", "passport,drivers_licence"],
            "unknown_id_document",
            "「drivers_licence」という書類コードはありません",
        ),
        (
            ["id-check", "--who", "friend", "--docs", "passport"],
            "invalid_choice",
            "--who には次のいずれかを指定してください",
        ),
        (
            ["id-check", "--who", "holder", "--docs", "passport", "--on", "2026-02-30"],
            "invalid_date",
            "--on の日付「2026-02-30」は正しくありません",
        ),
        (
            [
                "abroad",
                "--nationality",
                "jp",
                "--move-out",
                "2026-13-01",
                "--on",
                "2026-11-01",
                "--applicant",
                "self",
            ],
            "invalid_date",
            "--move-out の日付",
        ),
        (
            [
                "abroad",
                "--nationality",
                "jp",
                "--move-out",
                "2026-12-01",
                "--on",
                "2026-11-01",
                "--applicant",
                "neighbour",
            ],
            "invalid_choice",
            "--applicant には次のいずれかを指定してください",
        ),
        (["revocation", "--event", "emigrate"], "invalid_choice", "move_abroad_continue"),
        (
            [
                "card-expiry",
                "--birth",
                "1990-05-01",
                "--created",
                "2026-04-01",
                "--status",
                "other",
            ],
            "stay_required",
            "在留期間の満了日を指定してください",
        ),
        (
            [
                "card-expiry",
                "--birth",
                "1990-05-01",
                "--created",
                "2026-04-01",
                "--status",
                "permanent",
                "--stay-until",
                "2027-01-01",
            ],
            "no_period_of_stay",
            "永住者",
        ),
        (
            [
                "card-expiry",
                "--birth",
                "1990-05-01",
                "--created",
                "2026-04-01",
                "--status",
                "tourist",
            ],
            "invalid_choice",
            "--status には次のいずれかを指定してください",
        ),
        ([*VC, "--card-expiry", "2027-03-31", "--on", "2027-03-20"], "usage", "どちらか一方"),
        (
            [
                *VC,
                "--card-expiry",
                "2027-03-31",
                "--on",
                "2027-03-20",
                "--new-stay-until",
                "2030-03-31",
                "--special-extension",
            ],
            "usage",
            "どちらか一方",
        ),
        (
            [
                *VC,
                "--card-expiry",
                "2027-03-31",
                "--on",
                "2027-03-20",
                "--new-stay-until",
                "2030-03-31",
                "--extended-before",
            ],
            "usage",
            "--special-extension と一緒に",
        ),
        (
            [*VC, "--card-expiry", "2027-02-29", "--on", "2027-03-20", "--special-extension"],
            "invalid_date",
            "2027-02-29",
        ),
        (
            [
                *VC,
                "--card-expiry",
                "2027-03-31",
                "--on",
                "2027-03-20",
                "--new-stay-until",
                "2027-01-01",
            ],
            "new_stay_ended",
            "新しい在留期間の満了日が基準日より前",
        ),
        (
            [*VC, "--card-expiry", "2027-03-31", "--on", "2026-01-01", "--special-extension"],
            "before_creation",
            "カードの発行日より前",
        ),
        (
            ["fee", "--on", "2026-11-24", "--reason", "lost"],
            "invalid_choice",
            "--reason には次のいずれかを指定してください",
        ),
        (
            [
                "eligible",
                "--kind",
                "sign",
                "--birth",
                "1980-01-01",
                "--on",
                "2026-11-31",
                "--face-auth",
            ],
            "invalid_date",
            "--on の日付",
        ),
    ],
)
def test_new_commands_bad_input_exits_2(args: list[str], code: str, fragment: str) -> None:
    exit_code, out, err = run(*args)
    assert exit_code == 2, (out, err)
    assert fragment in err
    assert "Traceback" not in out + err
    exit_code, out, err = run(*args, "--json")
    assert exit_code == 2
    error = json.loads(out)["error"]
    assert error["code"] == code and fragment in error["message"]


def test_new_commands_through_the_console_script() -> None:
    assert MADOGUCHI.exists(), "make installs the madoguchi console script into the venv"
    proc = subprocess.run(
        [str(MADOGUCHI), "rules", "chars", "髙橋", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["positions"] == "10"
    bad = subprocess.run(
        [str(MADOGUCHI), "rules", "id-check", "--who", "holder", "--docs", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nope" in bad.stderr
