"""Expiry-notice campaigns on SQLite and a real PostgreSQL (issue 6; SPEC.md §6):
plan → pause → renewals and a move-out in between → resume → dispatch with the renewed and
the moved-away suppressed, the notices in expiry order, returned mail, the trace of every
notice (R-NOTICE-1 … R-NOTICE-4). The kill -9 mid-dispatch is in tests/e2e/test_cli_notices.py."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.items import Item
from madoguchi.rules.notices import NoticeState
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import Change, new_resident_id
from tests.support.clock import FakeClock
from tests.support.pdf import pdf_text

MAIN = Actor("clerk01", "main", "T1")
JUKI = "1111"
ISSUED = datetime(2022, 3, 1, 1, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # window: 2027-01-24 … 2027-02-24

# name, birth, card created; their certificates (issued 2022-03-01) end on the 5th birthday
PEOPLE = [
    ("更新 済子", date(1980, 1, 30), date(2021, 6, 1)),  # 2027-01-30: renews in between
    ("転出 予定", date(1981, 2, 5), date(2021, 6, 1)),  # 2027-02-05: moves away in between
    ("カード 満了", date(1990, 2, 15), date(2017, 3, 1)),  # card and certificates 2027-02-15
    ("通知 太郎", date(1975, 2, 20), date(2021, 6, 1)),  # 2027-02-20
    ("対象外 花子", date(1980, 7, 1), date(2021, 6, 1)),  # 2027-07-01: outside the window
]


@pytest.fixture
def c(tmp_path: Path, db_url: str) -> Container:
    clock = FakeClock(ISSUED)
    container = Container(Settings(data_dir=tmp_path / "data", database_url=db_url), clock)
    container.init_ca()
    for name, birth, created in PEOPLE:
        r = Resident(
            new_resident_id(),
            name,
            "テスト",
            birth,
            "1",
            "北海道帯広市西5条南7丁目1番地",
            ResidentStatus.RESIDENT,
            False,
            None,
            clock(),
        )
        with container.uow() as uow:
            r = container.registry.register(uow, r, MAIN)
            container.card_side.new_card(uow, r, created, juki_pin=JUKI, kenmen_pin="2222")
            uow.commit()
        case = container.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
        container.counter.record_visit(
            case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
        )
        container.counter.issue(case.id, sign_password="ABC123", auth_pin="3333", actor=MAIN)
    clock.now = TODAY
    return container


def rid(c: Container, name: str) -> str:
    with c.uow() as uow:
        (r,) = uow.counter.find_residents(name=name.split()[0])
    return r.id


def renew(c: Container, resident_id: str) -> None:
    case = c.counter.open_case(kind=CaseKind.P3, resident_id=resident_id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    c.counter.issue(case.id, sign_password="ABC123", auth_pin="3333", actor=MAIN)


def notices_by_name(c: Container, campaign: str) -> dict[str, object]:
    with c.uow() as uow:
        out = {}
        for state in NoticeState:
            for n in uow.notices.with_state(campaign, state):
                out[uow.counter.resident(n.resident_id).name] = n
    return out


def test_plan_pause_renew_resume_dispatch(c: Container) -> None:
    """R-NOTICE-1: one notice per holder in the window; R-NOTICE-3: paused, then resumed,
    the renewed and the moved-away suppressed at dispatch; R-NOTICE-4: numbers and states."""
    result = c.notices.plan(MAIN)
    campaign = result.campaign.id
    assert (result.campaign.window_from, result.campaign.window_to) == (
        date(2027, 1, 24),
        date(2027, 2, 24),
    )
    assert result.planned == 4
    by_name = notices_by_name(c, campaign)
    assert "対象外\u3000花子" not in by_name
    card_notice = by_name["カード\u3000満了"]
    assert {i.what for i in card_notice.items} == {"sign", "auth", "card"}  # type: ignore[attr-defined]
    assert c.notices.plan(MAIN).planned == 0  # planning again adds nothing twice

    assert c.notices.pause(campaign, MAIN) == 4
    paused = c.notices.dispatch(campaign, MAIN)
    assert paused.paused and paused.sent == 0
    assert list((c.settings.data_dir / "notices").glob("**/*.pdf")) == []

    renew(c, rid(c, "更新 済子"))
    c.registry.apply(
        rid(c, "転出 予定"),
        RegistryEvent.MOVE_OUT,
        MAIN,
        Change(planned_move_out=date(2026, 12, 1)),
    )

    # the pause lasted until 20 December: the notice of 2027-02-15 should have gone by
    # 2026-12-15 (R-NOTICE-1), the one of 2027-02-20 goes on its last day, in time
    c.clock.now = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert c.notices.resume(campaign, MAIN) == 4
    done = c.notices.dispatch(campaign, MAIN, batch_size=1)
    assert (done.sent, done.suppressed) == (2, 2)
    states = {name: n.state for name, n in notices_by_name(c, campaign).items()}  # type: ignore[attr-defined]
    assert states == {
        "更新\u3000済子": NoticeState.SUPPRESSED,
        "転出\u3000予定": NoticeState.SUPPRESSED,
        "カード\u3000満了": NoticeState.SENT,
        "通知\u3000太郎": NoticeState.SENT,
    }
    reasons = {name: n.reason for name, n in notices_by_name(c, campaign).items()}  # type: ignore[attr-defined]
    assert reasons["更新\u3000済子"] == "renewed"
    assert reasons["転出\u3000予定"] == "moved_away"

    # the batches: expiry order, one PDF and one CSV manifest each
    first, second = done.batches
    pdf, manifest = c.notices.batch_files(first)
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    assert rows[0]["name"] == "カード\u3000満了"  # 2027-02-15 before 2027-02-20
    assert rows[0]["card_renewal_qr"] == "yes"
    text = pdf_text(pdf.read_bytes())
    assert "有効期限通知書" in text and "転送不要" in text
    assert "遅くなりました" in "".join(text.split()), text  # late by the pause: an apology
    assert first.pages == 2
    in_time = pdf_text(c.notices.batch_files(second)[0].read_bytes())
    assert "遅くなりました" not in "".join(in_time.split())  # deferred, but not late: none

    # nothing left to send; dispatching again sends nothing twice
    again = c.notices.dispatch(campaign, MAIN)
    assert again.sent == 0 and again.batches == ()

    # returned mail goes on the clerks' follow-up list, traced
    sent = notices_by_name(c, campaign)["通知\u3000太郎"]
    c.notices.hand_over(second.id, MAIN)  # the print vendor took it: now it is mailed
    c.notices.record_returned(sent.number, MAIN)  # type: ignore[attr-defined]
    assert [n.number for n in c.notices.returned(campaign)] == [sent.number]  # type: ignore[attr-defined]
    _, trace = c.notices.trace(sent.number)  # type: ignore[attr-defined]
    assert [e.event for e in trace] == ["plan", "defer", "resume", "send", "return"]

    _, counts, batches = c.notices.status(campaign)
    assert counts == {"suppressed": 2, "sent": 1, "returned": 1}
    assert len(batches) == 2
    with c.uow() as uow:
        assert verify_chain(uow.counter.audit_entries()).ok


def test_a_paused_campaign_plans_into_deferred(c: Container) -> None:
    campaign = c.notices.plan(MAIN, window=(date(2027, 1, 24), date(2027, 2, 10))).campaign.id
    c.notices.pause(campaign, MAIN)
    more = c.notices.plan(MAIN, window=(date(2027, 2, 11), date(2027, 2, 24)), campaign_id=campaign)
    assert more.planned == 2
    _, counts, _ = c.notices.status(campaign)
    assert counts == {"deferred": 4}


def test_an_open_batch_left_by_a_crash_is_finished_once(c: Container) -> None:
    """A batch whose notices were picked but not written (the process died) is written on
    the next run — after checking the holders again — and its notices are sent once."""
    campaign = c.notices.plan(MAIN).campaign.id
    picked, kept, _ = c.notices._fill(campaign, MAIN, None, 10)  # what a killed run left
    assert picked is not None and len(kept) == 4
    renew(c, rid(c, "通知 太郎"))  # renewed while the batch was open
    done = c.notices.dispatch(campaign, MAIN)
    assert [b.id for b in done.batches] == [picked.id]
    assert (done.sent, done.suppressed) == (3, 1)
    assert c.notices.dispatch(campaign, MAIN).sent == 0
