"""Issue 16's counter steps through the services on SQLite and on a real PostgreSQL (the
columns of migration 0007 round-trip): R-CARD-2/3 a foreign resident's card ending with the
stay and its validity change with the renewal case; R-FACE-1 the switch with its remark;
R-ABROAD-1/2 the notice with continued use and the move on the move-out date; R-FEE-2 the
fee's reason of a case."""

from __future__ import annotations

from datetime import date, timedelta

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.dates import jst_date
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.stay import StayApplicant
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CardStatus, Resident, ResidentStatus
from madoguchi.services.registry import active_card, new_resident_id
from tests.integration.test_counter import JUKI, KENMEN, MAIN, c, clock, p1, resident  # noqa: F401
from tests.support.clock import FakeClock


def test_r_card_2_and_r_card_3_on_both_databases(c: Container) -> None:  # noqa: F811
    today = jst_date(c.clock())
    stay = today + timedelta(days=40)
    r = Resident(
        new_resident_id(),
        "外国 太郎",
        "ガイコク タロウ",
        date(1990, 5, 5),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
        nationality="foreign",
        stay_until=stay,
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, MAIN)
        card = c.card_side.new_card(uow, r, today, juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    assert card.expires == stay and card.limited_by_stay
    issued = p1(c, r)
    assert {jst_date(rec.not_after) for rec in issued.values()} == {stay}
    outcome, case = c.counter.change_validity(  # the card's part, then the renewal case
        r.id, new_stay_until=today + timedelta(days=400), applicant=StayApplicant.HOLDER, actor=MAIN
    )
    assert case is not None and case.kind is CaseKind.P3
    assert outcome.card.expires == today + timedelta(days=400)
    with c.uow() as uow:
        stored = uow.counter.card(card.id)
        resident_now = uow.counter.resident(r.id)
    assert stored is not None and stored.validity_changed_on == today
    assert resident_now is not None and resident_now.stay_until == today + timedelta(days=400)


def test_r_face_1_and_r_abroad_on_both_databases(c: Container, clock: FakeClock) -> None:  # noqa: F811
    face = resident(c, name="顔認 花子")
    p1(c, face)
    card = c.counter.switch_face_auth(face.id, to_face_auth=True, actor=MAIN)
    with c.uow() as uow:
        stored = uow.counter.card(card.id)
    assert stored is not None and stored.face_auth and stored.remarks == ("顔認証",)

    mover = resident(c, name="旅立 次郎")
    issued = p1(c, mover)
    move_out = jst_date(c.clock()) + timedelta(days=5)
    c.counter.notify_move_abroad(
        mover.id, move_out=move_out, continued=True, destination="英国", actor=MAIN
    )
    clock.advance(days=5)
    c.counter.record_move_abroad(mover.id, actor=MAIN)
    with c.uow() as uow:
        moved = uow.counter.resident(mover.id)
        card_now = active_card(uow, mover.id)
        status = {r.kind: r.status for r in uow.pki.certificates_of_card(card_now.id)}  # type: ignore[union-attr]
    assert moved is not None and moved.status is ResidentStatus.MOVED_OUT
    assert moved.fuhyo_address == "英国" and moved.moved_abroad_on == move_out
    assert card_now is not None and card_now.status is CardStatus.ACTIVE
    assert card_now.remarks[-1].startswith("国外転出")
    assert status == {CertKind.SIGN: CertStatus.REVOKED, CertKind.AUTH: CertStatus.GOOD}
    assert issued[CertKind.AUTH].serial_hex


def test_r_fee_2_the_reason_round_trips(c: Container) -> None:  # noqa: F811
    r = resident(c, name="再交付 三郎")
    case = c.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, fee_reason=FeeReason.REISSUE
    )
    with c.uow() as uow:
        stored = uow.counter.case(case.id)
    assert stored is not None and stored.fee_reason is FeeReason.REISSUE
