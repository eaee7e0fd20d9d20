"""Staff logins: argon2 hashes, lock-out after repeated failures, session timeout, CSRF,
cookie flags, security headers, and the office banner of R-PROC-0 on every staff screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from madoguchi.bootstrap import Container
from madoguchi.services.domain import StaffRole
from tests.support.web import PASSWORDS, Browser, browser


def test_staff_pages_need_a_login(web: Browser) -> None:
    r = web.get("/staff/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/staff/login?next=")


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it(web: Browser) -> None:
    r = web.login("clerk")
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "mdg_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = web.get("/staff/")
    assert page.status_code == 200
    assert "窓口 一子" in page.text
    assert "この窓口で電子証明書の手続きができます" in page.text
    web.post_form("/staff/", "/staff/logout", {})
    assert web.get("/staff/", follow_redirects=False).status_code == 303


def test_password_is_stored_as_argon2id(demo: Container) -> None:
    with demo.uow() as uow:
        account = uow.staff.account("clerk")
    assert account is not None
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORDS["clerk"] not in account.password_hash


def test_wrong_password_is_refused_in_japanese(web: Browser) -> None:
    r = web.login("supervisor", "not-the-password")
    assert r.status_code == 401
    assert "ログイン名またはパスワードが違います" in r.text


def test_five_failures_lock_the_account_even_for_the_right_password(fresh: Container) -> None:
    b = browser(fresh)
    for _ in range(4):
        assert b.login("clerk", "wrong-password-x").status_code == 401
    r = b.login("clerk", "wrong-password-x")
    assert "しばらくログインできません" in r.text
    assert b.login("clerk").status_code == 401  # locked: the right password is refused too
    fresh.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    assert b.login("clerk").status_code == 303
    with fresh.uow() as uow:
        actions = [e.action for e in uow.counter.audit_entries()]
    assert "staff.locked" in actions


def test_session_expires_after_idle_time(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    assert b.get("/staff/").status_code == 200
    fresh.clock.now += timedelta(minutes=31)  # type: ignore[attr-defined]
    assert b.get("/staff/", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(web: Browser) -> None:
    web.login("clerk")
    r = web.client.post("/staff/logout", data={})
    assert r.status_code == 403
    assert "画面の有効期限が切れました" in r.text
    assert web.get("/staff/").status_code == 200  # still logged in: nothing happened


def test_login_form_needs_csrf_too(demo: Container) -> None:
    b = browser(demo)
    r = b.client.post("/staff/login", data={"login": "clerk", "password": PASSWORDS["clerk"]})
    assert r.status_code == 403


def test_security_headers_on_pages(web: Browser) -> None:
    r = web.get("/staff/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_branch_clerk_sees_that_the_office_cannot_process(web: Browser) -> None:
    web.login("branch")
    page = web.get("/staff/")
    assert "川西支所" in page.text
    assert "この窓口では電子証明書の手続きはできません" in page.text


@pytest.mark.parametrize(
    ("who", "page", "allowed"),
    [
        ("clerk", "/staff/supervisor", False),
        ("supervisor", "/staff/supervisor", True),
        ("supervisor", "/staff/admin", False),
        ("admin", "/staff/admin", True),
    ],
)
def test_roles_gate_the_supervisor_and_admin_pages(
    web: Browser, who: str, page: str, allowed: bool
) -> None:
    web.login(who)
    r = web.get(page)
    assert (r.status_code == 200) is allowed, (r.status_code, r.text[:300])
    if not allowed:
        assert r.status_code == 403
        assert "権限がありません" in r.text


def test_roles_are_ordered() -> None:
    assert StaffRole.ADMIN.rank > StaffRole.SUPERVISOR.rank > StaffRole.CLERK.rank
