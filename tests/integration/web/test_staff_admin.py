"""The admin changes staff accounts through the web form while clerks write (issue 13).

Saving an account used to open a second unit of work inside the first (the offices were read
through the site service while the account's transaction held SQLite's writer gate): the
request hung for the gate's 30 s and failed with 503, and every clerk's write waited behind
it. Now the offices are read in the same transaction, and a nested unit of work fails at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from madoguchi.rules.cases import CaseKind
from madoguchi.services.audit import Actor
from madoguchi.services.domain import StaffRole
from tests.support.postgres import create_database
from tests.support.web import browser, demo_container

ADMIN_PAGE = "/staff/admin"
CLERK = Actor("clerk", "main", "T-concurrent")
#: a hang guard, not a speed claim: the defect this catches waited 30 s for the writer gate
HANG = 20.0


def _save(web, login: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"role": "clerk", "office": "main", "active": "1", **fields}
    return web.post_form(ADMIN_PAGE, f"/staff/admin/staff/{login}", data, follow_redirects=False)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_admin_changes_role_office_password_and_lock_through_the_form(
    db: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = None
    if db == "postgresql":
        url = create_database(request.getfixturevalue("postgres"), f"admin{uuid.uuid4().hex[:8]}")
    c = demo_container(tmp_path / "data", url)
    web = browser(c)
    assert web.login("admin").status_code == 303
    for _ in range(5):  # lock the clerk's account: five wrong passwords
        browser(c).login("clerk", "wrong-password-0")
    assert c.staff.accounts()[[a.id for a in c.staff.accounts()].index("clerk")].locked_until

    started = time.monotonic()
    saved = _save(
        web,
        "clerk",
        role="supervisor",
        office="kawanishi",
        password="a-new-password-2026",
        unlock="1",
    )
    assert time.monotonic() - started < HANG
    assert saved.status_code == 303, saved.text
    assert "error=" not in saved.headers["location"]

    account = {a.id: a for a in c.staff.accounts()}["clerk"]
    assert account.role is StaffRole.SUPERVISOR
    assert account.office == "kawanishi"
    assert account.locked_until is None and account.failed_attempts == 0
    assert browser(c).login("clerk", "a-new-password-2026").status_code == 303
    assert browser(c).login("clerk").status_code != 303  # the old password no longer works


def test_admin_saves_while_clerks_write(tmp_path: Path) -> None:
    """SQLite, the embedded default: four clerk threads open and cancel cases while the admin
    saves accounts; every write of both goes through, none waits for the others' gate."""
    c = demo_container(tmp_path / "data")
    web = browser(c)
    web.login("admin")
    resident = c.views.find_residents(name="ハクリンダイ", birth=None)[0]
    stop = threading.Event()
    errors: list[BaseException] = []
    done = [0]

    def clerk() -> None:
        try:
            while not stop.is_set():
                case = c.counter.open_case(kind=CaseKind.P1, resident_id=resident.id, actor=CLERK)
                c.counter.cancel(case.id, CLERK)
                done[0] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            started = time.monotonic()
            role = "supervisor" if i % 2 else "clerk"
            saved = _save(web, "branch", role=role, office="kawanishi")
            assert time.monotonic() - started < HANG
            assert saved.status_code == 303 and "error=" not in saved.headers["location"]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert done[0] >= 1
    assert {a.id: a for a in c.staff.accounts()}["branch"].role is StaffRole.SUPERVISOR
