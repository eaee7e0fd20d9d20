"""The counter's JSON API (/api/v1): staff tokens, P1 and P2 end to end over HTTP, the
refusals of the rules (R-PROC-0 at a branch office, shown to the supervisor), roles, bad
input, idempotency, and no PIN in any answer or log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.rules.dates import jst_date
from madoguchi.services.audit import Actor
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from tests.support.web import assert_pin_absent, browser

ADMIN = Actor("admin", "main", "t")
JUKI, KENMEN = "1234", "5678"  # the demo's 住基 PIN (services/demo.py DEMO_JUKI_PIN)
SIGN_PW, AUTH_PIN = "QZXJ73", "3333"  # Q Z X J: never inside a hex serial or hash


@pytest.fixture(scope="module")
def client(demo: Container) -> Iterator[TestClient]:
    with browser(demo).client as c:
        yield c


@pytest.fixture(scope="module")
def tokens(demo: Container) -> dict[str, str]:
    return {
        who: demo.staff.create_api_token(who, "test", ADMIN)
        for who in ("clerk", "supervisor", "admin", "branch")
    }


class Api:
    """A tiny client: ``api.post(path, json)`` with a staff token, under /api/v1."""

    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get("/api/v1" + path, params=params, headers=self.headers)

    def post(self, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        return self.client.post("/api/v1" + path, json=body, headers=self.headers)


@pytest.fixture(scope="module")
def clerk(client: TestClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens["clerk"])


@pytest.fixture(scope="module")
def supervisor(client: TestClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens["supervisor"])


def new_resident(
    c: Container, *, birth: date = date(1985, 4, 2), name: str = "試験 次郎"
) -> Resident:
    """A resident with a new card (demo PINs) and no certificate yet."""
    r = Resident(
        new_resident_id(),
        name,
        "シケン ジロウ",
        birth,
        "1",
        "北海道帯広市西5条南8丁目2番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, ADMIN)
        c.card_side.new_card(uow, r, jst_date(c.clock()), juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    return r


def open_case(api: Api, kind: str, resident_id: str, **extra: Any) -> dict[str, Any]:
    r = api.post("/cases", {"kind": kind, "resident_id": resident_id, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["detail"] == code
    assert body["message"] and not body["message"].isascii()  # Japanese for people
    return body  # type: ignore[no-any-return]


# -- P1 and P2 end to end ----------------------------------------------------------------------


def test_p1_new_in_person_end_to_end(clerk: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    found = clerk.get(
        "/residents", name="柏林台 はるか"
    )  # ASCII space: normalised like the registry
    assert found.status_code == 200, found.text
    (person,) = found.json()["residents"]
    assert person["name"] == "柏林台\u3000はるか"
    detail = clerk.get(f"/residents/{person['id']}").json()
    assert detail["certificates"] == [] and detail["open_cases"] == []
    assert detail["sign_eligible"] is True

    case = open_case(clerk, "P1", person["id"])
    case_id = case["case"]["id"]
    assert case["case"]["state"] == "open"
    assert case["procedure"]["id"] == "P1"
    assert [r["options"] for r in case["next_visit"]["requirements"]] == [
        ["card"],
        ["holder_pin", "holder_id"],
    ]
    assert case["next_visit"]["complete"] is False
    opened = clerk.get(f"/residents/{person['id']}").json()["open_cases"]
    assert [k["id"] for k in opened] == [case_id]

    visited = clerk.post(
        f"/cases/{case_id}/visits", {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": JUKI}
    )
    assert visited.status_code == 200, visited.text
    assert visited.json()["next_visit"]["complete"] is True

    r = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": AUTH_PIN})
    assert r.status_code == 200, r.text
    issued = r.json()
    assert issued["case"]["state"] == "issued"
    assert issued["fee_due"] == 0  # R-PROC-4: waived
    assert issued["receipt_no"].startswith("RC20261124-")
    by_kind = {x["kind"]: x for x in issued["certificates"]}
    assert set(by_kind) == {"sign", "auth"}
    # born 1988-11-30: the 5th birthday after 2026-11-24 (R-VAL-1/2), 23:59:59 JST (R-DATE-1)
    assert by_kind["sign"]["expires_on"] == "2030-11-30"
    assert by_kind["sign"]["not_after"] == "2030-11-30T23:59:59+09:00"
    assert by_kind["auth"]["card_face_expiry"] == "令和12年11月30日"

    now = clerk.get(f"/residents/{person['id']}").json()
    assert {(x["kind"], x["serial"], x["status"]) for x in now["certificates"]} == {
        (k, v["serial"], "good") for k, v in by_kind.items()
    }
    assert now["open_cases"] == []
    card = clerk.get(f"/cards/{now['cards'][0]['id']}").json()
    assert {x["serial"] for x in card["certificates"]} == {v["serial"] for v in by_kind.values()}

    again = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": AUTH_PIN})
    assert again.status_code == 200  # a retry answers the same and issues nothing
    assert {x["serial"] for x in again.json()["certificates"]} == {
        v["serial"] for v in by_kind.values()
    }
    assert again.json()["receipt_no"] == issued["receipt_no"]

    shown = clerk.get(f"/cases/{case_id}").json()
    assert shown["transitions"] == [{"event": "issue", "from_state": "open", "to_state": "issued"}]
    assert [h["action"] for h in shown["history"]][:2] == ["case.open", "case.items"]
    for text in (r.text, visited.text, shown and str(shown)):
        assert SIGN_PW not in text and "juki_pin" not in text
    assert not any(SIGN_PW in rec.getMessage() for rec in caplog.records)


def test_p1_with_the_holders_id_document(demo: Container, clerk: Api) -> None:
    person = new_resident(demo)
    case_id = open_case(clerk, "P1", person.id)["case"]["id"]
    r = clerk.post(
        f"/cases/{case_id}/visits",
        {"visit": 1, "items": ["card", "holder_id"], "holder_documents": ["drivers_license"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["case"]["documents"] == {
        "1": {
            "holder": {
                "codes": ["driver_license"],  # R-PROC-1's code read as R-ID's
                "counted": ["driver_license"],
                "notes": [],
                "name": None,
            }
        }
    }
    issued = clerk.post(f"/cases/{case_id}/issue", {"sign_password": "abc123", "auth_pin": "4444"})
    assert issued.status_code == 200, issued.text  # lower case is taken as upper case (R-PIN-1)
    assert len(issued.json()["certificates"]) == 2


def test_p2_by_proxy_over_two_visits_with_the_inquiry_letter(demo: Container, clerk: Api) -> None:
    person = new_resident(demo, name="代理 三郎")
    case = open_case(clerk, "P2", person.id)
    case_id = case["case"]["id"]
    assert case["next_visit"]["number"] == 1 and case["next_visit"]["step"] == "request"

    one = clerk.post(
        f"/cases/{case_id}/visits",
        {
            "visit": 1,
            "items": ["card", "proxy_id"],
            "proxy_documents": ["qualification_certificate"],
            "proxy_name": "代理 花子",
        },
    )
    assert_error(one, 409, "proxy_id_insufficient")  # R-ID-2: two documents without photo
    assert "もう1点" in one.json()["message"]
    two = clerk.post(
        f"/cases/{case_id}/visits",
        {
            "visit": 1,
            "items": ["card", "proxy_id"],
            "proxy_documents": ["qualification_certificate", "pension_document"],
            "proxy_name": "代理 花子",
        },
    )
    assert two.status_code == 200, two.text

    mailed = clerk.post(f"/cases/{case_id}/inquiry-letter")
    assert mailed.status_code == 201, mailed.text
    number = mailed.json()["number"]
    assert mailed.json()["case_id"] == case_id and mailed.json()["mailed_at"]

    # the second visit: the clerk types the letter's number
    back = clerk.get(f"/letters/{number.replace('-', '')}")
    assert back.status_code == 200, back.text
    shown = back.json()
    assert shown["case"]["id"] == case_id and shown["case"]["state"] == "awaiting_reply"
    assert shown["next_visit"]["number"] == 2
    assert {o for r in shown["next_visit"]["requirements"] for o in r["options"]} == {
        "inquiry_letter",
        "power_of_attorney",
        "card",
        "proxy_id",
    }
    assert [x["number"] for x in shown["letters"]] == [number]

    visit2 = clerk.post(
        f"/cases/{case_id}/visits",
        {
            "visit": 2,
            "items": ["inquiry_letter", "power_of_attorney", "card", "proxy_id"],
            "proxy_documents": ["passport"],
            "proxy_name": "代理 花子",
        },
    )
    assert visit2.status_code == 200, visit2.text
    without = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": "1357"})
    assert_error(without, 409, "letter_required")
    r = clerk.post(
        f"/cases/{case_id}/issue",
        {"sign_password": SIGN_PW, "auth_pin": "1357", "letter_number": number},
    )
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "issued"
    assert {x["kind"] for x in r.json()["certificates"]} == {"sign", "auth"}
    used = clerk.get(f"/letters/{number}").json()["letters"][0]
    assert used["used_at"] is not None

    assert_error(clerk.get("/letters/2026-999999-4"), 422, "bad_letter_number")  # check digit
    assert_error(clerk.get("/letters/2026-999999-9"), 404, "letter_unknown")


def test_a_child_gets_the_auth_certificate_without_a_sign_password(
    demo: Container, clerk: Api
) -> None:
    child = new_resident(demo, birth=date(2016, 5, 5), name="子供 四郎")
    case_id = open_case(clerk, "P1", child.id)["case"]["id"]
    clerk.post(f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": JUKI})
    r = clerk.post(f"/cases/{case_id}/issue", {"auth_pin": "2468"})
    assert r.status_code == 200, r.text
    assert [x["kind"] for x in r.json()["certificates"]] == ["auth"]  # R-ELIG-1

    adult = new_resident(demo)
    case_id = open_case(clerk, "P1", adult.id)["case"]["id"]
    clerk.post(f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": JUKI})
    assert_error(
        clerk.post(f"/cases/{case_id}/issue", {"auth_pin": "2468"}), 422, "sign_password_required"
    )
    assert_error(
        clerk.post(f"/cases/{case_id}/issue", {"sign_password": "ABCDEF", "auth_pin": "2468"}),
        422,
        "pin_needs_digit",
    )
    assert_error(
        clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": "24"}),
        422,
        "pin_not_four_digits",
    )


# -- refusals, roles and authentication --------------------------------------------------------


def test_branch_office_is_refused_and_the_supervisor_sees_it(
    demo: Container, client: TestClient, tokens: dict[str, str], supervisor: Api
) -> None:
    branch = Api(client, tokens["branch"])
    person = new_resident(demo)
    r = branch.post("/cases", {"kind": "P1", "resident_id": person.id})
    body = assert_error(r, 409, "branch_office")
    assert "本庁" in body["message"]
    offices = branch.get("/offices").json()
    assert offices["your_office"] == "kawanishi" and offices["can_process_here"] is False

    day = supervisor.get("/supervisor/cases", day="2026-11-24")
    assert day.status_code == 200, day.text
    refusals = [x for x in day.json()["refusals"] if x["resident_id"] == person.id]
    assert [(x["code"], x["office"], x["clerk"]) for x in refusals] == [
        ("branch_office", "kawanishi", "branch")
    ]
    assert supervisor.get("/supervisor/cases", day="2026-11-23").json()["refusals"] == []


def test_a_clerks_refusal_and_a_cancellation(demo: Container, clerk: Api, supervisor: Api) -> None:
    person = new_resident(demo)
    refused = open_case(clerk, "P1", person.id)["case"]["id"]
    r = clerk.post(f"/cases/{refused}/refuse", {"reason": "  本人確認書類がそろわないため "})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "refused"
    assert r.json()["case"]["refusal"] == "本人確認書類がそろわないため"
    assert r.json()["next_visit"] is None
    assert_error(clerk.post(f"/cases/{refused}/cancel"), 409, "invalid_transition")

    cancelled = open_case(clerk, "P1", person.id)["case"]["id"]
    assert clerk.post(f"/cases/{cancelled}/cancel").json()["case"]["state"] == "cancelled"

    day = supervisor.get("/supervisor/cases").json()  # today (JST) by default
    assert day["day"] == "2026-11-24"
    states = {k["id"]: k["state"] for k in day["cases"]}
    assert states[refused] == "refused" and states[cancelled] == "cancelled"
    mine = [x for x in day["refusals"] if x["case_id"] == refused]
    assert {(x["code"], x["reason"]) for x in mine} >= {
        ("refused_by_clerk", "本人確認書類がそろわないため"),
        ("invalid_transition", None),  # the refused cancel, logged as a refusal
    }


def test_a_wrong_juki_pin_counts_down_and_is_no_refusal(demo: Container, clerk: Api) -> None:
    """Issue 15 blocker 4: the message says the tries left; a typo is audited as a spent try,
    never listed as a refusal."""
    person = new_resident(demo)
    case_id = open_case(clerk, "P1", person.id)["case"]["id"]
    r = clerk.post(
        f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": "9999"}
    )
    assert_error(r, 409, "wrong_pin")
    assert "あと2回" in r.json()["message"]
    assert r.json()["field"] == "juki_pin"  # the input the error concerns
    assert_error(
        clerk.post(f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"]}),
        409,
        "pin_required",
    )
    history = clerk.get(f"/cases/{case_id}").json()["history"]
    assert [h["detail"] for h in history if h["action"] == "counter.refused"] == []
    assert [h["detail"] for h in history if h["action"] == "card.pin_failed"] == [{"tries_left": 2}]
    assert_pin_absent("9999", str(history))


def test_requests_without_a_valid_token_get_401(client: TestClient, tokens: dict[str, str]) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer mdg_not-a-token"},
        {"Authorization": f"Basic {tokens['clerk']}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        r = client.get("/api/v1/offices", headers=headers)
        assert_error(r, 401, "unauthenticated")
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.headers["cache-control"] == "no-store"
    assert_error(client.post("/api/v1/cases", json={}), 401, "unauthenticated")


def test_roles(client: TestClient, tokens: dict[str, str], demo: Container) -> None:
    clerk = Api(client, tokens["clerk"])
    assert_error(clerk.get("/supervisor/cases"), 403, "forbidden")
    assert_error(clerk.get("/supervisor/audit"), 403, "forbidden")
    for who in ("supervisor", "admin"):
        assert Api(client, tokens[who]).get("/supervisor/audit").status_code == 200
        assert Api(client, tokens[who]).get("/offices").status_code == 200
    demo.staff.create_account(
        login="leaver",
        name="退職 五郎",
        role="clerk",
        office="main",
        password="x" * 12,
        actor=ADMIN,
    )
    leaver = Api(client, demo.staff.create_api_token("leaver", "test", ADMIN))
    assert leaver.get("/offices").status_code == 200
    demo.staff.update_account("leaver", actor=ADMIN, active=False)  # its tokens end with it
    assert_error(leaver.get("/offices"), 401, "unauthenticated")


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["components"]["securitySchemes"]["staffToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["staffToken"]["description"],
    }
    ops = [
        op
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1")
        for op in item.values()
    ]
    assert len(ops) == 24  # 18, and the six counter steps of issue 16
    assert all(op["security"] == [{"staffToken": []}] for op in ops)
    create = spec["components"]["schemas"]["CaseCreate"]
    assert create["additionalProperties"] is False and create["examples"]


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/cases", {"kind": "P9", "resident_id": "R1"}),
        ("/cases", {"kind": "P1", "resident_id": "R1", "surprise": 1}),
        ("/cases", {"kind": "P1", "resident_id": "R" * 33}),
        ("/cases", {"kind": "P1", "resident_id": "../etc"}),
        ("/cases", {"kind": "P1", "resident_id": "R1", "idempotency_key": "k" * 65}),
        ("/cases", {"kind": "P1"}),
        ("/cases", ["P1"]),
        ("/cases", None),
        ("/cases/C1/visits", {"visit": 1, "items": []}),
        ("/cases/C1/visits", {"visit": 3, "items": ["card"]}),
        ("/cases/C1/visits", {"visit": 1, "items": ["cake"]}),
        ("/cases/C1/visits", {"items": ["card"], "juki_pin": "1" * 17}),
        ("/cases/C1/visits", {"items": ["card"], "holder_documents": ["library_card"]}),
        ("/cases/C1/issue", {"sign_password": "A1" * 9, "auth_pin": "1234"}),
        ("/cases/C1/issue", {"sign_password": "ABC123", "kinds": ["both"]}),
        ("/cases/C1/visits", {"items": ["card"], "proxy_name": "名" * 101}),
        ("/cases/C1/issue", {"auth_pin": "1234", "letter_number": "1" * 21}),
        ("/cases/C1/refuse", {"reason": ""}),
        ("/cases/C1/refuse", {"reason": "   "}),
        ("/cases/C1/refuse", {"reason": "理由" * 101}),
        ("/cases/C1/refuse", {"reason": "理由\u0000"}),
        ("/cases/C1/revoke", {"kinds": []}),
        ("/cases/C1/revoke", {"kinds": ["both"]}),
        ("/cases/C1/pin-reset", {"pin": "juki", "new_value": "1" * 17}),
        ("/cases/C1/pin-reset", {"pin": "bank", "new_value": "1234"}),
        ("/cases/" + "C" * 33 + "/cancel", None),
        ("/cases/C%201/cancel", None),
    ],
)
def test_bad_bodies_get_422(clerk: Api, path: str, body: Any) -> None:
    body = assert_error(clerk.post(path, body), 422, "invalid_request")
    assert all(set(e) == {"loc", "type"} for e in body["errors"])  # never the input back


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/residents", {}, "search_criteria_required"),
        ("/residents", {"name": "   "}, "search_criteria_required"),
        ("/residents", {"name": "名" * 101}, "invalid_request"),
        ("/residents", {"name": "帯広\u0000"}, "invalid_request"),
        ("/residents", {"birth": "1980-02-30"}, "invalid_request"),
        ("/residents/" + "R" * 33, {}, "invalid_request"),
        ("/cards/VC%00", {}, "invalid_request"),
        ("/checklist", {"purpose": "new"}, "invalid_request"),
        ("/checklist", {"purpose": "old", "applicant": "self"}, "invalid_request"),
        ("/letters/" + "1" * 21, {}, "invalid_request"),
        ("/letters/abc", {}, "bad_letter_number"),
    ],
)
def test_bad_queries_get_422(clerk: Api, path: str, params: dict[str, str], code: str) -> None:
    assert_error(clerk.get(path, **params), 422, code)


def test_bad_days_for_the_supervisor_get_422(supervisor: Api) -> None:
    assert_error(supervisor.get("/supervisor/cases", day="2026-13-01"), 422, "invalid_request")
    assert_error(supervisor.get("/supervisor/audit", day="0001-01-01"), 422, "day_out_of_range")
    assert_error(supervisor.get("/supervisor/audit", day="9999-12-31"), 422, "day_out_of_range")


def test_a_malformed_pin_costs_no_try(demo: Container, clerk: Api) -> None:
    person = new_resident(demo)
    case_id = open_case(clerk, "P1", person.id)["case"]["id"]
    for _ in range(4):  # more than the three tries of R-PIN-2
        r = clerk.post(
            f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": "12a4"}
        )
        assert_error(r, 422, "pin_not_four_digits")
    ok = clerk.post(f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": JUKI})
    assert ok.status_code == 200, ok.text


def test_unknown_ids_get_404_with_a_code(clerk: Api) -> None:
    assert_error(clerk.get("/residents/RNOSUCHPERSON"), 404, "unknown_resident")
    assert_error(clerk.get("/cards/VC0000000000000000"), 404, "unknown_card")
    assert_error(clerk.get("/cases/CNOSUCHCASE"), 404, "unknown_case")
    assert_error(clerk.post("/cases/CNOSUCHCASE/cancel"), 404, "unknown_case")
    assert_error(clerk.post("/cases/CNOSUCHCASE/visits", {"items": ["card"]}), 404, "unknown_case")
    assert_error(
        clerk.post("/cases", {"kind": "P1", "resident_id": "RNOSUCHPERSON"}),
        404,
        "unknown_resident",
    )
    assert_error(clerk.get("/no-such-endpoint"), 404, "not_found")


# -- idempotency and the other errands --------------------------------------------------------


def test_the_idempotency_key_returns_the_same_case(demo: Container, clerk: Api) -> None:
    person, other = new_resident(demo), new_resident(demo)
    first = open_case(clerk, "P1", person.id, idempotency_key="T1-20261124-0001")
    again = open_case(clerk, "P1", person.id, idempotency_key="T1-20261124-0001")
    assert again["case"]["id"] == first["case"]["id"]
    assert len(clerk.get(f"/residents/{person.id}").json()["open_cases"]) == 1
    assert_error(
        clerk.post(
            "/cases",
            {"kind": "P1", "resident_id": other.id, "idempotency_key": "T1-20261124-0001"},
        ),
        409,
        "idempotency_conflict",
    )
    fresh = open_case(clerk, "P1", person.id, idempotency_key="T1-20261124-0002")
    assert fresh["case"]["id"] != first["case"]["id"]


def test_renewal_outside_the_window_is_refused(demo: Container, clerk: Api) -> None:
    (taro,) = clerk.get("/residents", name="帯広", birth="1980-07-01").json()["residents"]
    shown = clerk.get(f"/residents/{taro['id']}").json()
    assert {x["kind"]: x["status"] for x in shown["certificates"]} == {
        "sign": "good",
        "auth": "good",
    }
    assert_error(
        clerk.post("/cases", {"kind": "P3", "resident_id": taro["id"]}), 409, "outside_window"
    )


def test_revocation_pin_reset_and_lost_card(demo: Container, clerk: Api) -> None:
    person = new_resident(demo)
    case_id = open_case(clerk, "P1", person.id)["case"]["id"]
    clerk.post(f"/cases/{case_id}/visits", {"items": ["card", "holder_pin"], "juki_pin": JUKI})
    issued = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": AUTH_PIN})
    serials = {x["kind"]: x["serial"] for x in issued.json()["certificates"]}

    # R-PIN-2: a PIN reset needs the holder's photo ID recorded first
    reset = open_case(clerk, "pin_reset", person.id)["case"]["id"]
    assert_error(
        clerk.post(f"/cases/{reset}/pin-reset", {"pin": "auth", "new_value": "8080"}),
        409,
        "photo_id_required",
    )
    clerk.post(
        f"/cases/{reset}/visits",
        {"items": ["card", "holder_id"], "holder_documents": ["passport"]},
    )
    r = clerk.post(f"/cases/{reset}/pin-reset", {"pin": "auth", "new_value": "8080"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "completed"
    assert_pin_absent("8080", r.text)

    # R-REV-3: revocation at the holder's request
    revoke = open_case(clerk, "revocation", person.id)["case"]["id"]
    r = clerk.post(f"/cases/{revoke}/revoke", {"kinds": ["sign"]})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "completed"
    current = {
        x["kind"]: x["serial"] for x in clerk.get(f"/residents/{person.id}").json()["certificates"]
    }
    assert current == {"auth": serials["auth"]}

    # R-REV-3: a lost card holds its certificates
    lost = open_case(clerk, "card_lost", person.id)["case"]["id"]
    assert clerk.post(f"/cases/{lost}/card-event").status_code == 200
    shown = clerk.get(f"/residents/{person.id}").json()
    assert shown["cards"][0]["status"] == "lost"
    assert [(x["kind"], x["status"]) for x in shown["certificates"]] == [("auth", "held")]
    assert_error(clerk.post(f"/cases/{case_id}/card-event"), 409, "not_a_card_event")


def test_checklist_and_offices(clerk: Api) -> None:
    r = clerk.get("/checklist", purpose="renewal", applicant="proxy", notice="false")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["procedure"]["id"] == "P5"
    assert [[i["code"] for i in v["items"]] for v in body["visits"]] == [
        ["card", "holder_id", "proxy_id"],
        ["inquiry_letter", "power_of_attorney", "card", "proxy_id"],
    ]
    p1 = clerk.get("/checklist", purpose="new", applicant="self", pin_known="true").json()
    assert [i["code"] for i in p1["visits"][0]["items"]] == ["card", "holder_pin"]
    offices = clerk.get("/offices").json()
    main = {o["code"]: o for o in offices["offices"]}["main"]
    assert main["handles_certificates"] and main["open_now"] and main["opens"] == "08:45"
    assert offices["your_office"] == "main" and offices["can_process_here"] is True


def test_the_supervisors_audit_trail_of_a_day(supervisor: Api) -> None:
    r = supervisor.get("/supervisor/audit", day="2026-11-24")
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert entries and r.json()["truncated"] is False
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    assert all(e["at"].startswith("2026-11-24T") for e in entries)
    assert "staff.api_token" in {e["action"] for e in entries}
