"""NoticeService on the in-memory store (tests/support/fakes.py): planning (R-NOTICE-1),
pause and resume (R-NOTICE-3), dispatch that suppresses the renewed (R-NOTICE-3), returned
mail and the trace (R-NOTICE-4). With PDFs, on SQLite and PostgreSQL: tests/integration/
test_notices.py."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from madoguchi.pki.authority import Authority
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.items import Item
from madoguchi.rules.notices import BatchState, CampaignState, NoticeState
from madoguchi.rules.validity import CertKind
from madoguchi.services.card_renewal import PATH
from madoguchi.services.domain import NotFound, Notice, Refused, Resident
from tests.unit.services.world import (
    AUTH_PIN,
    JUKI,
    MAIN,
    SIGN_PW,
    Snapshot,
    World,
    audit_log,
    build_world,
    p1,
    register,
    snapshot,
)

CA_BORN = ISSUED = datetime(2022, 3, 1, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the window: expiries 2027-01-24 … 2027-02-24
CAMPAIGN = "2027-01"

# who, birth, card created; their certificates (issued 2022-03-01) end on the 5th birthday
PEOPLE = {
    "renews": (date(1980, 1, 30), date(2021, 6, 1)),  # 2027-01-30; renews after planning
    "card": (date(1990, 2, 15), date(2017, 3, 1)),  # the card and the certificates 2027-02-15
    "plain": (date(1975, 2, 20), date(2021, 6, 1)),  # 2027-02-20
    "outside": (date(1980, 7, 1), date(2021, 6, 1)),  # 2027-07-01: outside the window
}

People = tuple[Snapshot, dict[str, Resident]]


@pytest.fixture(scope="module")
def people(
    authorities: dict[CertKind, Authority], tmp_path_factory: pytest.TempPathFactory
) -> People:
    """The holders with their certificates, made once per module; each test goes on from a
    copy of this store and card vault."""
    w = build_world(authorities, tmp_path_factory.mktemp("people"), ISSUED)
    residents = {}
    for who, (birth, created) in PEOPLE.items():
        residents[who] = register(w, name=f"通知 {who}", birth=birth, created=created)
        p1(w, residents[who])
    return snapshot(w), residents


@pytest.fixture
def w(people: People, authorities: dict[CertKind, Authority], tmp_path: Path) -> World:
    return build_world(authorities, tmp_path, NOW, start=people[0])


@pytest.fixture
def rid(people: People) -> dict[str, str]:
    return {who: r.id for who, r in people[1].items()}


def notices(w: World) -> dict[str, Notice]:
    """The campaign's notices by number, in expiry order."""
    with w.uow.read_only() as uow:
        every = [n for s in NoticeState for n in uow.notices.with_state(CAMPAIGN, s)]
    return {n.number: n for n in sorted(every, key=lambda n: (n.first_expiry, n.number))}


def of(w: World, resident_id: str) -> Notice:
    with w.uow.read_only() as uow:
        (notice,) = uow.notices.notices_of_resident(resident_id)
    return notice


def counts(w: World) -> dict[str, int]:
    return w.notices.status(CAMPAIGN)[1]


def events(w: World, number: str) -> list[tuple[str, str | None, str]]:
    return [(e.event, e.from_state, e.to_state) for e in w.notices.trace(number)[1]]


def renew(w: World, resident_id: str) -> None:
    """P3 at the counter: the holder renews in person."""
    case = w.counter.open_case(kind=CaseKind.P3, resident_id=resident_id, actor=MAIN)
    w.counter.record_visit(
        case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)


def test_r_notice_1_plan_one_notice_per_card_in_the_window(w: World, rid: dict[str, str]) -> None:
    """R-NOTICE-1: every card whose certificates or whose card expire two to three months
    ahead gets one numbered notice covering all that expires, in expiry order; planning again
    adds nothing; R-NOTICE-4: each notice is planned and traced."""
    result = w.notices.plan(MAIN)
    assert (result.campaign.id, result.campaign.state) == (CAMPAIGN, CampaignState.ACTIVE)
    assert (result.campaign.window_from, result.campaign.window_to) == (
        date(2027, 1, 24),
        date(2027, 2, 24),
    )
    assert (result.planned, result.already) == (3, 0)

    planned = notices(w)
    assert list(planned) == ["2027-01-0000001", "2027-01-0000002", "2027-01-0000003"]
    assert [n.resident_id for n in planned.values()] == [rid["renews"], rid["card"], rid["plain"]]
    assert [n.first_expiry for n in planned.values()] == [
        date(2027, 1, 30),
        date(2027, 2, 15),
        date(2027, 2, 20),
    ]
    assert {n.state for n in planned.values()} == {NoticeState.PLANNED}
    card = of(w, rid["card"])
    assert sorted((i.what, i.expires) for i in card.items) == [
        ("auth", date(2027, 2, 15)),
        ("card", date(2027, 2, 15)),
        ("sign", date(2027, 2, 15)),
    ]
    assert sorted(i.what for i in of(w, rid["plain"]).items) == ["auth", "sign"]
    with w.uow.read_only() as uow:
        assert uow.notices.notices_of_resident(rid["outside"]) == []
    assert events(w, card.number) == [("plan", None, "planned")]

    again = w.notices.plan(MAIN)
    assert (again.planned, again.already) == (0, 3)
    assert counts(w) == {"planned": 3}
    logged = [dict(e.detail) for e in audit_log(w) if e.action == "notices.plan"]
    assert [d["planned"] for d in logged] == [3, 0]


def test_r_notice_3_pause_defers_and_resume_plans_again(w: World) -> None:
    """R-NOTICE-3: pausing defers the planned notices and stops dispatch; resuming plans them
    again; R-NOTICE-4: both traced on each notice."""
    w.notices.plan(MAIN)
    assert w.notices.pause(CAMPAIGN, MAIN) == 3
    campaign, tally, _ = w.notices.status(CAMPAIGN)
    assert (campaign.state, tally) == (CampaignState.PAUSED, {"deferred": 3})

    paused = w.notices.dispatch(CAMPAIGN, MAIN)
    assert (paused.paused, paused.sent, paused.batches) == (True, 0, ())
    assert w.printer.batches == []
    assert not w.out_dir.exists()

    assert w.notices.resume(CAMPAIGN, MAIN) == 3
    campaign, tally, _ = w.notices.status(CAMPAIGN)
    assert (campaign.state, tally) == (CampaignState.ACTIVE, {"planned": 3})
    for number in notices(w):
        assert events(w, number) == [
            ("plan", None, "planned"),
            ("defer", "planned", "deferred"),
            ("resume", "deferred", "planned"),
        ]


def test_r_notice_3_pausing_twice_is_refused(w: World) -> None:
    """R-NOTICE-3: pausing a paused campaign (or resuming an active one) is an invalid
    transition, and changes nothing."""
    w.notices.plan(MAIN)
    with pytest.raises(InvalidTransition):
        w.notices.resume(CAMPAIGN, MAIN)
    w.notices.pause(CAMPAIGN, MAIN)
    with pytest.raises(InvalidTransition) as err:
        w.notices.pause(CAMPAIGN, MAIN)
    assert (err.value.state, err.value.event) == ("paused", "pause")
    campaign, tally, _ = w.notices.status(CAMPAIGN)
    assert (campaign.state, tally) == (CampaignState.PAUSED, {"deferred": 3})
    assert [e.action for e in audit_log(w) if e.action.startswith("notices.")] == [
        "notices.plan",
        "notices.pause",
    ]


def test_r_notice_3_dispatch_suppresses_the_renewed(w: World, rid: dict[str, str]) -> None:
    """R-NOTICE-3: right before a notice goes into a batch the holder is checked again — one
    who renewed since planning is suppressed, not sent; the rest go in expiry order, one PDF
    and one manifest a batch; nothing is sent twice."""
    w.notices.plan(MAIN)
    renew(w, rid["renews"])
    done = w.notices.dispatch(CAMPAIGN, MAIN, batch_size=2)
    assert (done.sent, done.suppressed, done.paused) == (2, 1, False)

    renewed = of(w, rid["renews"])
    assert (renewed.state, renewed.reason, renewed.batch_id) == (
        NoticeState.SUPPRESSED,
        "renewed",
        None,
    )
    assert events(w, renewed.number) == [
        ("plan", None, "planned"),
        ("suppress", "planned", "suppressed"),
    ]
    (batch,) = done.batches
    sent = [of(w, rid["card"]), of(w, rid["plain"])]
    assert [(n.state, n.batch_id) for n in sent] == [(NoticeState.SENT, batch.id)] * 2

    (printed,) = w.printer.batches
    assert [c.number for c in printed] == [n.number for n in sent]  # expiry order
    # R-NOTICE-2: the notice of an expiring card carries the link of its renewal application
    url = printed[0].card_renewal_url
    assert url is not None and printed[1].card_renewal_url is None
    target = w.card_renewal.target(url.removeprefix("http://madoguchi.test" + PATH))
    assert (target.card_id, target.expires) == (sent[0].card_id, date(2027, 2, 15))
    pdf, manifest = w.notices.batch_files(batch)
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == batch.pdf_sha256
    assert [line.split(",")[0] for line in manifest.read_text().splitlines()[1:]] == [
        n.number for n in sent
    ]
    assert w.notices.batch(batch.id) == batch
    assert (batch.notices, batch.pages) == (2, 2)

    again = w.notices.dispatch(CAMPAIGN, MAIN)
    assert (again.sent, again.suppressed, again.batches) == (0, 0, ())
    assert counts(w) == {"sent": 2, "suppressed": 1}


def test_r_notice_4_returned_mail(w: World, rid: dict[str, str]) -> None:
    """R-NOTICE-4: a sent notice the post office returns becomes `returned`, shows on the
    clerks' follow-up list and in its trace; only a sent notice can be returned."""
    w.notices.plan(MAIN)
    planned = of(w, rid["plain"])
    with pytest.raises(Refused) as err:
        w.notices.record_returned(planned.number, MAIN)
    assert err.value.code == "notice_not_sent"
    with pytest.raises(NotFound):
        w.notices.record_returned("2027-01-9999999", MAIN)

    (batch,) = w.notices.dispatch(CAMPAIGN, MAIN).batches
    with pytest.raises(Refused) as err:  # print data only: nothing was mailed yet
        w.notices.record_returned(planned.number, MAIN)
    assert err.value.code == "notice_not_mailed"
    handed = w.notices.hand_over(batch.id, MAIN)
    assert (handed.state, handed.handed_over_by) == (BatchState.HANDED_OVER, MAIN.clerk)
    with pytest.raises(Refused) as err:
        w.notices.hand_over(batch.id, MAIN)
    assert err.value.code == "batch_already_handed_over"
    back = w.notices.record_returned(f" {planned.number} ", MAIN)  # as a scanner sends it
    assert (back.number, back.state) == (planned.number, NoticeState.RETURNED)
    assert [n.number for n in w.notices.returned(CAMPAIGN)] == [planned.number]
    assert [n.number for n in w.notices.returned()] == [planned.number]
    assert events(w, planned.number) == [
        ("plan", None, "planned"),
        ("send", "planned", "sent"),
        ("return", "sent", "returned"),
    ]
    assert counts(w) == {"sent": 2, "returned": 1}
    with pytest.raises(Refused):  # returned once
        w.notices.record_returned(planned.number, MAIN)
    logged = [dict(e.detail) for e in audit_log(w) if e.action == "notices.returned"]
    assert logged == [{"notice": planned.number}]
    handovers = [dict(e.detail) for e in audit_log(w) if e.action == "notices.handover"]
    assert handovers == [{"batch": batch.id, "notices": batch.notices}]
