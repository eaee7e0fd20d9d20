"""The demo data shows the same states on any day it is made, not only on the day it was
written for: 十勝 花子's renewal window (R-PROC-3, R-VAL-3) is open whenever the demo runs —
the browser and CLI tests, which run on the real date, rely on it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from madoguchi.rules.dates import JST, jst_date
from madoguchi.rules.validity import CertKind, in_renewal_window
from madoguchi.services.demo import PEOPLE, REFERENCE_DAY
from tests.support.web import demo_container


@pytest.mark.parametrize("day", [REFERENCE_DAY, date(2027, 6, 1), date(2029, 2, 28)])
def test_r_proc_3_tokachi_hanako_may_renew_on_any_day(tmp_path: Path, day: date) -> None:
    c = demo_container(tmp_path, now=datetime.combine(day, time(10), tzinfo=JST))
    with c.uow() as uow:
        (person,) = uow.counter.find_residents(name="十勝")
        (card,) = uow.counter.cards_of(person.id)
        records = uow.pki.certificates_of_card(card.id)
    expiries = {r.kind: jst_date(r.not_after) for r in records}
    assert set(expiries) == {CertKind.SIGN, CertKind.AUTH}
    for expiry in expiries.values():
        assert in_renewal_window(day, expiry)
        assert timedelta(days=77) <= expiry - day <= timedelta(days=79)
    if day == REFERENCE_DAY:  # the facts as written: born 1975-02-10, certificates to 2027-02-10
        assert person.birth == date(1975, 2, 10)
        assert set(expiries.values()) == {date(2027, 2, 10)}


def test_only_the_people_whose_state_depends_on_the_day_move() -> None:
    moving = [p.name for p in PEOPLE if p.moves_with_today]
    assert moving == ["十勝 花子"]
    assert all(p.birth_on(date(2030, 1, 1)) == p.birth for p in PEOPLE if not p.moves_with_today)
