"""The authorization matrix (issue 8): every route of the staff pages, the API and the public
side, against every kind of caller — anonymous, a clerk, a clerk of a branch office, a
supervisor, an admin — allowed or refused as the table says. A route missing from the table
fails the test, so a new route must be classified."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseKind
from madoguchi.services.audit import Actor
from madoguchi.web.app import create_app
from tests.support.web import Browser, browser, csrf_of, demo_container

ANON, CLERK, SUPERVISOR, ADMIN = 0, 1, 2, 3
CALLERS = {
    "anonymous": ANON,
    "clerk": CLERK,
    "branch": CLERK,
    "supervisor": SUPERVISOR,
    "admin": ADMIN,
}
# (pattern of the path, the least role), first match wins
TABLE: list[tuple[str, int]] = [
    (r"^/api/v1/openapi\.json$", ANON),
    (r"^/api/v1/supervisor/", SUPERVISOR),
    (r"^/api/v1/", CLERK),
    (r"^/staff/login$", ANON),
    (r"^/staff/supervisor", SUPERVISOR),
    (r"^/staff/admin", ADMIN),
    (r"^/staff/", CLERK),
    (r"^/(ocsp|crl|ca)/", ANON),
    (r"^/(healthz|readyz)$", ANON),
    (r"^/metrics$", CLERK),  # any staff token, or a loopback client (web/ops.py)
    (r"^/(checklist|offices|fees|check|verify|card-renewal/.*)?$", ANON),
]


def least_role(path: str) -> int:
    for pattern, role in TABLE:
        if re.search(pattern, path):
            return role
    raise AssertionError(f"route {path} is not in the authorization table")


def routes() -> list[tuple[str, str]]:
    """Every route of the application as served, read from its route table (so a route added
    anywhere is in the matrix); the static files aside."""
    stub = SimpleNamespace(
        settings=SimpleNamespace(ca_locality_city="帯広市", secure_cookies=False),
        ocsp=None,
        remote_ca=None,
    )
    out = []
    for r in iter_route_contexts(create_app(stub).routes):  # type: ignore[arg-type]
        if r.path and r.methods:
            for method in sorted(set(r.methods) - {"HEAD"}):
                out.append((method, r.path))
    return sorted(set(out))


ROUTES = routes()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    c: Container = demo_container(tmp_path_factory.mktemp("authz") / "data")
    for kind in c.authorities:  # published CRLs: /readyz answers ready
        c.crls.publish(kind, io.BytesIO())
    actor = Actor("admin", "main", "t")
    with c.uow.read_only() as uow:
        (person,) = uow.counter.find_residents(name="柏林台")
        (card,) = uow.counter.cards_of(person.id)
    case = c.counter.open_case(
        kind=CaseKind.P2, resident_id=person.id, actor=Actor("clerk", "main", "t")
    )
    campaign = c.notices.plan(actor).campaign.id
    values = {
        "resident_id": person.id,
        "case_id": case.id,
        "card_id": card.id,
        "number": "2026-000001-7",
        "name": "receipt",
        "campaign": campaign,
        "action": "pause",
        "batch_id": "none",
        "ext": "pdf",
        "login": "clerk",
        "ref": c.card_renewal.reference(card.id, card.expires),
        "encoded": "MAA=",
        "kind": "sign",
    }
    browsers: dict[str, Browser] = {}
    tokens: dict[str, str] = {}
    for who in CALLERS:
        b = browser(c)
        if who != "anonymous":
            assert b.login(who).status_code == 303
            tokens[who] = c.staff.create_api_token(who, "authz", actor)
        browsers[who] = b
    return {"c": c, "values": values, "browsers": browsers, "tokens": tokens}


def fill(path: str, values: dict[str, str]) -> str:
    path = path.replace("{encoded:path}", values["encoded"])
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def refused(status: int, location: str) -> bool:
    return status in (401, 403) or (status in (302, 303) and "/staff/login" in location)


def call(client: TestClient, method: str, url: str, token: str | None, page_csrf: str) -> Any:
    if url.startswith(("/api/", "/metrics")):  # bearer tokens, not the page's session
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "GET":
            return client.get(url, headers=headers, follow_redirects=False)
        return client.post(url, headers=headers, json={}, follow_redirects=False)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.post(url, data={"csrf_token": page_csrf}, follow_redirects=False)


@pytest.mark.parametrize("who", list(CALLERS))
def test_every_route_against_every_caller(world: dict[str, Any], who: str) -> None:
    b: Browser = world["browsers"][who]
    token = world["tokens"].get(who)
    csrf = csrf_of(b.get("/staff/login" if who == "anonymous" else "/staff/").text)
    wrong = []
    for method, path in ROUTES:
        if path == "/staff/logout" or (path == "/staff/login" and method == "POST"):
            continue  # would end or replace the session the rest of the walk uses
        url = fill(path, world["values"])
        r = call(b.client, method, url, token, csrf)
        allowed = CALLERS[who] >= least_role(path)
        was_refused = refused(r.status_code, r.headers.get("location", ""))
        if allowed == was_refused or r.status_code >= 500:
            wrong.append((method, url, r.status_code))
    assert wrong == [], f"{who}: {wrong}"


def test_a_branch_clerk_is_refused_every_counter_operation(world: dict[str, Any]) -> None:
    """R-PROC-0: the branch office's clerk may log in and look, never process a case — not
    even refuse or cancel one of the main office (issue 14, item 1)."""
    b: Browser = world["browsers"]["branch"]
    v = world["values"]
    before = world["c"].views.case(v["case_id"]).case
    page = f"/staff/cases/{v['case_id']}"
    form = {
        "visit": "1",
        "items": ["card"],
        "reason": "申請者の申出による",
        "pin": "juki",
        "new_value": "1234",
        "new_value_confirm": "1234",
        "confirmed": "1",  # refuse and cancel, past their confirmation
    }
    for op in ("items", "letter", "issue", "revoke", "card-event", "pin-reset", "refuse", "cancel"):
        r = b.post_form(page, f"{page}/{op}", form, follow_redirects=False)
        # the case page again (422), the refusal said on it (issue 15)
        assert r.status_code == 422, op
        assert 'data-code="branch_office"' in r.text, op
    token = world["tokens"]["branch"]
    headers = {"Authorization": f"Bearer {token}"}
    r = b.client.post(
        "/api/v1/cases", headers=headers, json={"kind": "P1", "resident_id": v["resident_id"]}
    )
    assert (r.status_code, r.json()["detail"]) == (409, "branch_office")
    for op, body in (("cancel", {}), ("refuse", {"reason": "申請者の申出による"})):
        r = b.client.post(f"/api/v1/cases/{v['case_id']}/{op}", headers=headers, json=body)
        assert (r.status_code, r.json()["detail"]) == (409, "branch_office"), op
    assert world["c"].views.case(v["case_id"]).case == before  # nothing changed


def test_the_table_covers_every_route() -> None:
    for _, path in ROUTES:
        least_role(path)


def test_every_form_refuses_a_post_without_its_csrf_token(world: dict[str, Any]) -> None:
    """CSRF on every form: an admin (who may do everything) posting without the token is
    refused with 403 on every POST route of the pages, and nothing changes."""
    b: Browser = world["browsers"]["admin"]
    with world["c"].uow.read_only() as uow:
        before = sum(1 for _ in uow.counter.audit_entries())
    posts = [p for m, p in ROUTES if m == "POST" and not p.startswith("/api/")]
    assert len(posts) > 15
    for path in posts:
        r = b.client.post(fill(path, world["values"]), data={"x": "1"}, follow_redirects=False)
        assert r.status_code == 403, path
    with world["c"].uow.read_only() as uow:
        assert sum(1 for _ in uow.counter.audit_entries()) == before


def test_cookies_are_secure_under_https(tmp_path_factory: pytest.TempPathFactory) -> None:
    from madoguchi.config import Settings

    c = demo_container(tmp_path_factory.mktemp("https") / "data")
    c.settings = Settings(  # the same store, served under an https public URL
        data_dir=c.settings.data_dir,
        public_base_url="https://madoguchi.example.jp",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
    )
    r = browser(c).login("clerk")
    assert "Secure" in r.headers["set-cookie"]
