"""The authorization matrix (issue 8): every route of the staff pages, the API and the public
side, against every kind of caller — anonymous, a clerk, a clerk of a branch office, a
supervisor, an admin — allowed or refused as the table says. A route missing from the table
fails the test, so a new route must be classified."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseKind
from madoguchi.services.audit import Actor
from madoguchi.web import (
    api,
    pki_routes,
    public,
    staff_admin,
    staff_auth,
    staff_counter,
    staff_documents,
    staff_notices,
    staff_supervisor,
    verify_page,
)
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
    (r"^/api/v1/supervisor/", SUPERVISOR),
    (r"^/api/v1/", CLERK),
    (r"^/staff/login$", ANON),
    (r"^/staff/supervisor", SUPERVISOR),
    (r"^/staff/admin", ADMIN),
    (r"^/staff/", CLERK),
    (r"^/(ocsp|crl|ca)/", ANON),
    (r"^/(checklist|offices|fees|check|verify|card-renewal/.*)?$", ANON),
]
MODULES = (
    pki_routes,
    api,
    staff_auth,
    staff_counter,
    staff_documents,
    staff_notices,
    staff_supervisor,
    staff_admin,
    public,
    verify_page,
)


def least_role(path: str) -> int:
    for pattern, role in TABLE:
        if re.search(pattern, path):
            return role
    raise AssertionError(f"route {path} is not in the authorization table")


def routes() -> list[tuple[str, str]]:
    out = []
    for module in MODULES:
        for r in module.router().routes:
            for method in sorted(r.methods - {"HEAD"}):  # type: ignore[attr-defined]
                out.append((method, r.path))  # type: ignore[attr-defined]
    return out


ROUTES = routes()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    c: Container = demo_container(tmp_path_factory.mktemp("authz") / "data")
    actor = Actor("admin", "main", "t")
    with c.uow() as uow:
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
    if url.startswith("/api/"):
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
    """R-PROC-0: the branch office's clerk may log in and look, never process a case."""
    b: Browser = world["browsers"]["branch"]
    v = world["values"]
    page = f"/staff/cases/{v['case_id']}"
    for op in ("items", "letter", "issue", "revoke", "card-event", "pin-reset"):
        r = b.post_form(
            page, f"{page}/{op}", {"visit": "1", "items": ["card"]}, follow_redirects=False
        )
        assert "error=" in r.headers["location"], op
    token = world["tokens"]["branch"]
    r = b.client.post(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {token}"},
        json={"kind": "P1", "resident_id": v["resident_id"]},
    )
    assert (r.status_code, r.json()["detail"]) == (409, "branch_office")


def test_the_table_covers_every_route() -> None:
    for _, path in ROUTES:
        least_role(path)


def test_every_form_refuses_a_post_without_its_csrf_token(world: dict[str, Any]) -> None:
    """CSRF on every form: an admin (who may do everything) posting without the token is
    refused with 403 on every POST route of the pages, and nothing changes."""
    b: Browser = world["browsers"]["admin"]
    with world["c"].uow() as uow:
        before = sum(1 for _ in uow.counter.audit_entries())
    posts = [p for m, p in ROUTES if m == "POST" and not p.startswith("/api/")]
    assert len(posts) > 15
    for path in posts:
        r = b.client.post(fill(path, world["values"]), data={"x": "1"}, follow_redirects=False)
        assert r.status_code == 403, path
    with world["c"].uow() as uow:
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
