"""Issue 14, items 4 and 13: failed logins are throttled per client (429 with Retry-After),
a lock-out is per (name, client) so that nobody can lock a colleague out of their own
terminal, unknown names answer exactly like known ones, the public /check is throttled per
client too, and a name that is no account reaches the audit log only as a keyed hash."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.web.app import create_app
from tests.support.web import Browser

LOCKED = "しばらくログインできません"
WRONG = "ログイン名またはパスワードが違います"


def client_at(c: Container, address: str) -> Browser:
    app = create_app(c)
    return Browser(TestClient(app, base_url="http://testserver", client=(address, 40000)))


def _flash(html: str) -> str:
    """The page's message and status without the echoed login name."""
    found = re.search(r'data-code="([a-z_]+)"', html)
    return found.group(1) if found else ""


def test_a_lock_out_holds_only_for_the_client_that_caused_it(fresh: Container) -> None:
    attacker, clerk = client_at(fresh, "192.0.2.66"), client_at(fresh, "192.0.2.10")
    for _ in range(4):
        assert attacker.login("clerk", "wrong-password-x").status_code == 401
    r = attacker.login("clerk", "wrong-password-x")
    assert r.status_code == 401 and LOCKED in r.text
    assert attacker.login("clerk").status_code == 401  # from there, even the right password
    assert clerk.login("clerk").status_code == 303  # the clerk's own terminal: not locked out
    fresh.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    assert attacker.login("clerk").status_code == 303


def test_unknown_names_answer_exactly_like_known_ones(fresh: Container) -> None:
    known, unknown = client_at(fresh, "192.0.2.1"), client_at(fresh, "192.0.2.2")
    for attempt in range(7):
        a = known.login("supervisor", "wrong-password-x")
        b = unknown.login("nobody.here", "wrong-password-x")
        assert (a.status_code, _flash(a.text)) == (b.status_code, _flash(b.text)), attempt
        assert _flash(a.text) == ("account_locked" if attempt >= 4 else "login_failed")


def test_failed_logins_from_one_client_are_throttled(fresh: Container) -> None:
    limit = fresh.settings.login_failures_per_client
    noisy, other = client_at(fresh, "198.51.100.7"), client_at(fresh, "198.51.100.8")
    for n in range(limit):  # a new name each time: no name's lock-out plays a part
        assert noisy.login(f"guess{n}", "wrong-password-x").status_code == 401
    r = noisy.login("clerk")
    assert r.status_code == 429, r.text[:300]
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "少し待って" in r.text
    assert other.login("clerk").status_code == 303  # another client is not slowed down
    fresh.clock.now += timedelta(seconds=int(r.headers["retry-after"]))  # type: ignore[attr-defined]
    assert noisy.login("clerk").status_code == 303


def test_the_public_check_is_throttled_per_client(fresh: Container) -> None:
    limit = fresh.settings.check_requests_per_client
    noisy, other = client_at(fresh, "203.0.113.5"), client_at(fresh, "203.0.113.6")
    form = {"kind": "sign", "serial": "0A"}
    statuses = [noisy.post_form("/check", "/check", form).status_code for _ in range(limit)]
    assert 429 not in statuses
    r = noisy.post_form("/check", "/check", form)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "少し待って" in r.text
    assert other.post_form("/check", "/check", form).status_code != 429


def test_an_unknown_name_is_audited_only_as_a_keyed_hash(fresh: Container) -> None:
    typed = "123456789012"  # a My Number typed into the login field
    b = client_at(fresh, "192.0.2.30")
    assert b.login(typed, "wrong-password-x").status_code == 401
    assert b.login(typed, "wrong-password-y").status_code == 401
    with fresh.uow() as uow:
        failed = [e for e in uow.counter.audit_entries() if e.action == "staff.login_failed"]
    assert len(failed) == 2
    assert failed[0].clerk == failed[1].clerk == fresh.staff.name_digest(typed)
    assert re.fullmatch(r"\?[0-9a-f]{32}", failed[0].clerk)
    for e in failed:
        assert typed not in repr(e)
    key = bytes.fromhex((fresh.settings.secrets_dir / "audit-names.key").read_text())
    assert len(key) == 32
    assert fresh.staff.name_key == key  # keyed: not a hash anyone could recompute
    with fresh.engine.connect() as conn:
        dump = "\n".join(str(line) for line in conn.connection.iterdump())  # type: ignore[attr-defined]
    assert typed not in dump
