"""Issue 14, item 5: API tokens expire, are revoked one by one on the admin's page, and all of
a staff member's tokens end when the password changes."""

from __future__ import annotations

from datetime import timedelta

from madoguchi.bootstrap import Container
from madoguchi.services.audit import Actor
from tests.support.web import browser

ADMIN = Actor("admin", "main", "t")


def _api_ok(c: Container, token: str) -> int:
    client = browser(c).client
    return client.get("/api/v1/offices", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_expires(fresh: Container) -> None:
    default = fresh.staff.create_api_token("clerk", "T1", ADMIN)
    week = fresh.staff.create_api_token("clerk", "T2", ADMIN, days=7)
    listed = {t.label: t for t in fresh.staff.api_tokens("clerk")}
    now = fresh.clock()
    assert listed["T1"].expires_at == now + timedelta(days=90)
    assert listed["T2"].expires_at == now + timedelta(days=7)
    assert _api_ok(fresh, default) == _api_ok(fresh, week) == 200
    fresh.clock.now += timedelta(days=7)  # type: ignore[attr-defined]
    assert _api_ok(fresh, week) == 401
    assert _api_ok(fresh, default) == 200
    fresh.clock.now += timedelta(days=83)  # type: ignore[attr-defined]
    assert _api_ok(fresh, default) == 401


def test_the_admin_revokes_one_token(fresh: Container) -> None:
    kept = fresh.staff.create_api_token("clerk", "kept", ADMIN)
    doomed = fresh.staff.create_api_token("clerk", "doomed", ADMIN)
    ref = next(t.ref for t in fresh.staff.api_tokens("clerk") if t.label == "doomed")
    admin = browser(fresh)
    assert admin.login("admin").status_code == 303
    page = admin.get("/staff/admin").text
    assert ref in page and "失効させる" in page
    r = admin.post_form(
        "/staff/admin",
        "/staff/admin/staff/clerk",
        {"action": "revoke_token", "ref": ref},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "APIトークンを失効させました" in r.text
    assert _api_ok(fresh, doomed) == 401
    assert _api_ok(fresh, kept) == 200
    with fresh.uow() as uow:
        actions = [e.action for e in uow.counter.audit_entries()]
    assert "staff.api_token_revoked" in actions
    # a reference of nobody's token is refused in words, and changes nothing
    r = admin.post_form(
        "/staff/admin",
        "/staff/admin/staff/clerk",
        {"action": "revoke_token", "ref": "0123456789ab"},
    )
    assert r.status_code == 422 and "そのAPIトークンはありません" in r.text
    assert _api_ok(fresh, kept) == 200


def test_a_password_change_revokes_every_token(fresh: Container) -> None:
    tokens = [fresh.staff.create_api_token("clerk", f"T{n}", ADMIN) for n in range(2)]
    other = fresh.staff.create_api_token("supervisor", "S", ADMIN)
    assert [_api_ok(fresh, t) for t in tokens] == [200, 200]
    fresh.staff.update_account("clerk", actor=ADMIN, password="a-new-password-2026")
    assert [_api_ok(fresh, t) for t in tokens] == [401, 401]
    assert _api_ok(fresh, other) == 200
    assert all(t.revoked for t in fresh.staff.api_tokens("clerk"))
