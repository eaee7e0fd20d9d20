"""The counter end to end on SQLite and on a real PostgreSQL: P1–P5 with the proxy's two
visits and the mailed inquiry letter, the refusals, registry events revoking per R-REV with
OCSP saying so, and the audit chain (issue 4's definition of done)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp
from sqlalchemy import text

from madoguchi.bootstrap import Container
from madoguchi.card.jpki import JpkiCard
from madoguchi.config import Settings
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.id_documents import IdDocument as D
from madoguchi.rules.items import Item as I
from madoguchi.rules.pins import PinKind
from madoguchi.rules.revocation import CertStatus, RegistryEvent
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.domain import ConcurrentUpdate, Refused, Resident, ResidentStatus
from madoguchi.services.registry import Change, active_card, new_resident_id
from tests.support.clock import FakeClock

MAIN = Actor("clerk01", "main", "T1")
BRANCH = Actor("clerk09", "kawanishi", "K1")
JUKI, KENMEN, SIGN_PW, AUTH_PIN = "1111", "2222", "ABC123", "3333"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # Tue 10:00 JST


@pytest.fixture
def c(tmp_path: Path, clock: FakeClock, db_url: str) -> Container:
    container = Container(Settings(data_dir=tmp_path / "data", database_url=db_url), clock)
    container.init_ca()
    return container


def resident(
    c: Container,
    *,
    birth: date = date(1980, 7, 1),
    name: str = "帯広 太郎",
    created: date | None = None,
) -> Resident:
    r = Resident(
        new_resident_id(),
        name,
        "オビヒロ タロウ",
        birth,
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, MAIN)
        c.card_side.new_card(
            uow, r, created or jst_date(c.clock()), juki_pin=JUKI, kenmen_pin=KENMEN
        )
        uow.commit()
    return r


def p1(c: Container, r: Resident, actor: Actor = MAIN) -> dict[CertKind, CertRecord]:
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=actor)
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=actor, juki_pin=JUKI
    )
    return c.counter.issue(
        case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=actor
    ).certificates


def ocsp(c: Container, rec: CertRecord) -> x_ocsp.OCSPResponse:
    cert = x509.load_der_x509_certificate(rec.der)
    req = (
        x_ocsp.OCSPRequestBuilder()
        .add_certificate(cert, c.ca.authorities[rec.kind].cert, hashes.SHA1())
        .build()
    )
    return x_ocsp.load_der_ocsp_response(c.ca.ocsp.answer(req.public_bytes(Encoding.DER)))


def card_certs(c: Container, card_id: str) -> dict[CertKind, int | None]:
    api = JpkiCard(c.card_side.load(card_id))
    out: dict[CertKind, int | None] = {}
    for kind, pw in ((CertKind.AUTH, None), (CertKind.SIGN, SIGN_PW)):
        der = api.read_certificate(kind, sign_password=pw)
        out[kind] = x509.load_der_x509_certificate(der).serial_number if der else None
    return out


def audit_ok(c: Container) -> None:
    with c.uow() as uow:
        report = verify_chain(uow.counter.audit_entries())
    assert report.ok, report


def test_p1_new_in_person(c: Container) -> None:
    r = resident(c)
    issued = p1(c, r)
    assert set(issued) == {CertKind.SIGN, CertKind.AUTH}
    # R-VAL-1/2: 5th birthday after issuance, the card (10 birthdays) is later
    assert jst_date(issued[CertKind.AUTH].not_after) == date(2031, 7, 1)
    assert jst_date(issued[CertKind.SIGN].not_after) == date(2031, 7, 1)
    with c.uow() as uow:
        card = active_card(uow, r.id)
    assert card is not None
    on_card = card_certs(c, card.id)
    assert on_card == {k: v.serial for k, v in issued.items()}  # written to the card
    for rec in issued.values():
        assert ocsp(c, rec).certificate_status is x_ocsp.OCSPCertStatus.GOOD
    audit_ok(c)


def test_p1_receipt_fee_and_history(c: Container) -> None:
    r = resident(c)
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id,
        visit=1,
        items=[I.CARD, I.HOLDER_ID],
        actor=MAIN,
        holder_documents=[D.DRIVER_LICENSE],
    )
    done = c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert done.fee_due == 0  # R-PROC-4: waived
    assert done.receipt_no.startswith("RC20261124-")
    assert done.case.state is CaseState.ISSUED
    with c.uow() as uow:
        assert uow.counter.history(case.id) == [("issue", "open", "issued")]
    # a retried request gets the same answer and issues nothing more
    again = c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert {k: v.serial for k, v in again.certificates.items()} == {
        k: v.serial for k, v in done.certificates.items()
    }
    with c.uow() as uow:
        assert uow.pki.count(CertKind.AUTH) == 1


def test_r_proc_0_branch_office_refused(c: Container) -> None:
    r = resident(c)
    with pytest.raises(Refused) as err:
        c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=BRANCH)
    assert err.value.code == "branch_office"


def test_r_elig_1_under_15_gets_only_auth(c: Container) -> None:
    child = resident(c, birth=date(2015, 5, 5))
    issued = p1(c, child)
    assert set(issued) == {CertKind.AUTH}
    # R-CARD-1: a child's card runs to the 5th birthday; the certificate too
    assert jst_date(issued[CertKind.AUTH].not_after) == date(2031, 5, 5)


def test_items_and_documents_are_checked(c: Container) -> None:
    r = resident(c)
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:  # nothing recorded yet
        c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert err.value.code == "items_missing"
    with pytest.raises(Refused) as err:
        c.counter.record_visit(case.id, visit=1, items=[I.CARD, I.HOLDER_ID], actor=MAIN)
    assert err.value.code == "holder_id_insufficient"


def test_r_pin_2_locked_pin_refused_and_reset_needs_photo_id(c: Container) -> None:
    r = resident(c)
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    codes = []
    for _ in range(3):
        with pytest.raises(Refused) as err:
            c.counter.record_visit(
                case.id, visit=1, items=[I.HOLDER_PIN], actor=MAIN, juki_pin="9999"
            )
        codes.append(err.value.code)
    assert codes == ["wrong_pin", "wrong_pin", "pin_locked"]
    with pytest.raises(Refused) as err:  # the right PIN does not unlock it
        c.counter.record_visit(case.id, visit=1, items=[I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI)
    assert err.value.code == "pin_locked"
    reset = c.counter.open_case(kind=CaseKind.PIN_RESET, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:
        c.counter.reset_pin(reset.id, PinKind.JUKI, "4444", MAIN)
    assert err.value.code == "photo_id_required"
    c.counter.record_visit(
        reset.id,
        visit=1,
        items=[I.HOLDER_ID],
        actor=MAIN,
        holder_documents=[D.QUALIFICATION_CERTIFICATE],
    )
    with pytest.raises(Refused):  # a health-insurance card has no photo
        c.counter.reset_pin(reset.id, PinKind.JUKI, "4444", MAIN)
    c.counter.record_visit(
        reset.id, visit=1, items=[I.HOLDER_ID], actor=MAIN, holder_documents=[D.PASSPORT]
    )
    assert c.counter.reset_pin(reset.id, PinKind.JUKI, "4444", MAIN).state is CaseState.COMPLETED
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin="4444"
    )
    assert c.counter.issue(
        case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN
    ).certificates


def test_p2_proxy_two_visits_with_the_inquiry_letter(c: Container) -> None:
    r = resident(c)
    case = c.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:  # R-PROC-1: one non-photo document is not enough
        c.counter.record_visit(
            case.id,
            visit=1,
            items=[I.CARD, I.PROXY_ID],
            actor=MAIN,
            proxy_documents=[D.QUALIFICATION_CERTIFICATE],
            proxy_name="代理 花子",
        )
    assert err.value.code == "proxy_id_insufficient"
    c.counter.record_visit(
        case.id,
        visit=1,
        items=[I.CARD, I.PROXY_ID],
        actor=MAIN,
        proxy_documents=[D.QUALIFICATION_CERTIFICATE, D.PENSION_DOCUMENT],
        proxy_name="代理 花子",
    )
    with pytest.raises(InvalidTransition):  # the first visit never issues
        c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    letter = c.counter.mail_inquiry_letter(case.id, MAIN)
    assert letter.address == r.address  # mailed to the registered address
    with c.uow() as uow:
        assert uow.counter.case(case.id).state is CaseState.AWAITING_REPLY
    c.counter.record_visit(
        case.id,
        visit=2,
        actor=MAIN,
        items=[I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID],
        proxy_documents=[D.DRIVER_LICENSE],
        proxy_name="代理 花子",
    )
    with pytest.raises(Refused) as err:
        c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert err.value.code == "letter_required"
    done = c.counter.issue(
        case.id,
        sign_password=SIGN_PW,
        auth_pin=AUTH_PIN,
        actor=MAIN,
        letter_number=letter.number.replace("-", ""),
    )  # typed without hyphens
    assert set(done.certificates) == {CertKind.SIGN, CertKind.AUTH}
    # R-PROC-2: single use, bound to its case
    other = c.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    with c.uow() as uow:
        assert uow.counter.letter(letter.number).used_at is not None
    c.counter.record_visit(
        other.id,
        visit=1,
        items=[I.CARD, I.PROXY_ID],
        actor=MAIN,
        proxy_documents=[D.PASSPORT],
        proxy_name="代理 花子",
    )
    c.counter.mail_inquiry_letter(other.id, MAIN)
    c.counter.record_visit(
        other.id,
        visit=2,
        actor=MAIN,
        items=[I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID],
        proxy_documents=[D.PASSPORT],
        proxy_name="代理 花子",
    )
    with pytest.raises(Refused) as err:
        c.counter.issue(
            other.id,
            sign_password=SIGN_PW,
            auth_pin=AUTH_PIN,
            actor=MAIN,
            letter_number=letter.number,
        )
    assert err.value.code == "letter_other_case"
    audit_ok(c)


def test_r_proc_2_letter_void_after_a_registry_change(c: Container, clock: FakeClock) -> None:
    r = resident(c)
    p1(c, r)
    clock.now = datetime(2031, 5, 1, 1, 0, tzinfo=UTC)  # inside the window of 2031-07-01
    case = c.counter.open_case(kind=CaseKind.P5, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id,
        visit=1,
        items=[I.CARD, I.HOLDER_ID, I.PROXY_ID],
        actor=MAIN,
        holder_documents=[D.QUALIFICATION_CERTIFICATE],
        proxy_documents=[D.PASSPORT],
        proxy_name="代理 花子",
    )
    letter = c.counter.mail_inquiry_letter(case.id, MAIN)
    clock.advance(days=3)
    c.registry.apply(
        r.id, RegistryEvent.ADDRESS, MAIN, Change(address="北海道帯広市東1条南1丁目1番地")
    )
    c.counter.record_visit(
        case.id,
        visit=2,
        actor=MAIN,
        items=[I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID],
        proxy_documents=[D.PASSPORT],
        proxy_name="代理 花子",
    )
    with pytest.raises(Refused) as err:
        c.counter.issue(
            case.id,
            sign_password=SIGN_PW,
            auth_pin=AUTH_PIN,
            actor=MAIN,
            letter_number=letter.number,
        )
    assert err.value.code == "letter_void"


def test_p3_renewal_inside_the_window_supersedes(c: Container, clock: FakeClock) -> None:
    r = resident(c)
    old = p1(c, r)  # both expire 2031-07-01
    clock.now = datetime(2031, 3, 31, 1, 0, tzinfo=UTC)  # window opens 2031-04-02
    with pytest.raises(Refused) as err:
        c.counter.open_case(kind=CaseKind.P3, resident_id=r.id, actor=MAIN)
    assert err.value.code == "outside_window"
    clock.now = datetime(2031, 4, 2, 1, 0, tzinfo=UTC)
    case = c.counter.open_case(kind=CaseKind.P3, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN, I.EXPIRY_NOTICE], actor=MAIN, juki_pin=JUKI
    )
    done = c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    # R-VAL-3: the 6th birthday after issuance (2037-07-01), capped by the card (2036-07-01)
    assert jst_date(done.certificates[CertKind.AUTH].not_after) == date(2036, 7, 1)
    # R-VAL-4: the old ones revoked as superseded in the same transaction
    assert {s.serial for s in done.superseded} == {rec.serial for rec in old.values()}
    for rec in old.values():
        resp = ocsp(c, rec)
        assert resp.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
        assert resp.revocation_reason is x509.ReasonFlags.superseded


def test_p4_renewal_by_proxy_with_the_notice(c: Container, clock: FakeClock) -> None:
    r = resident(c)
    p1(c, r)
    clock.now = datetime(2031, 7, 5, 1, 0, tzinfo=UTC)  # after expiry: still renewable (R-VAL-5)
    case = c.counter.open_case(kind=CaseKind.P4, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id,
        visit=1,
        actor=MAIN,
        items=[I.CARD, I.EXPIRY_NOTICE, I.INQUIRY_REPLY, I.POWER_OF_ATTORNEY, I.PROXY_ID],
        proxy_documents=[D.DRIVER_LICENSE],
        proxy_name="代理 花子",
    )
    done = c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    # after expiry the 5th birthday again (2036-07-01), the card's last day too
    assert jst_date(done.certificates[CertKind.AUTH].not_after) == date(2036, 7, 1)


def test_r_rev_registry_events(c: Container, clock: FakeClock) -> None:
    r = resident(c)
    issued = p1(c, r)
    clock.advance(hours=1)
    out = c.registry.apply(
        r.id, RegistryEvent.MINOR_ADDRESS, MAIN, Change(address="北海道帯広市西5条南7丁目1番地1")
    )
    assert out.revoked == () and out.held == ()
    out = c.registry.apply(r.id, RegistryEvent.NAME, MAIN, Change(name="十勝 太郎"))
    assert [x.kind for x in out.revoked] == [CertKind.SIGN]  # R-REV-1
    assert ocsp(c, issued[CertKind.SIGN]).revocation_reason is x509.ReasonFlags.affiliation_changed
    assert (
        ocsp(c, issued[CertKind.AUTH]).certificate_status is x_ocsp.OCSPCertStatus.GOOD
    )  # R-REV-2
    out = c.registry.apply(r.id, RegistryEvent.DEATH, MAIN)
    assert [x.kind for x in out.revoked] == [CertKind.AUTH]
    assert ocsp(c, issued[CertKind.AUTH]).certificate_status is x_ocsp.OCSPCertStatus.REVOKED
    audit_ok(c)


def test_r_rev_2_move_out_then_no_move_in(c: Container, clock: FakeClock) -> None:
    r = resident(c)
    issued = p1(c, r)
    out = c.registry.apply(
        r.id, RegistryEvent.MOVE_OUT, MAIN, Change(planned_move_out=date(2026, 12, 1))
    )
    assert [x.kind for x in out.revoked] == [CertKind.SIGN]
    clock.now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # 31 days after the planned date
    assert c.registry.overdue_move_ins(MAIN)[0].revoked[0].serial == issued[CertKind.AUTH].serial


def test_r_rev_3_lost_held_then_found_revoked(c: Container) -> None:
    r = resident(c)
    issued = p1(c, r)
    out = c.registry.apply(r.id, RegistryEvent.LOST, MAIN)
    assert {x.kind for x in out.held} == {CertKind.SIGN, CertKind.AUTH}
    assert ocsp(c, issued[CertKind.SIGN]).revocation_reason is x509.ReasonFlags.certificate_hold
    out = c.registry.apply(r.id, RegistryEvent.FOUND, MAIN)
    assert {x.status for x in out.revoked} == {CertStatus.REVOKED}
    assert ocsp(c, issued[CertKind.AUTH]).revocation_reason is x509.ReasonFlags.key_compromise


def test_idempotent_open_and_concurrent_update(c: Container) -> None:
    r = resident(c)
    first = c.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, idempotency_key="T1-0001"
    )
    again = c.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, idempotency_key="T1-0001"
    )
    assert first.id == again.id
    with c.uow() as uow:  # terminal 2 read the case before terminal 1 changed it
        stale = uow.counter.case(first.id)
    c.counter.record_visit(first.id, visit=1, items=[I.CARD], actor=MAIN)
    with c.uow() as uow, pytest.raises(ConcurrentUpdate):
        uow.counter.update_case(stale)


def test_audit_chain_detects_tampering(c: Container) -> None:
    r = resident(c)
    p1(c, r)
    audit_ok(c)
    with c.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET clerk = 'mallory' WHERE seq = 2"))
    with c.uow() as uow:
        report = verify_chain(uow.counter.audit_entries())
    assert (report.ok, report.broken_at, report.problem) == (False, 2, "changed")
    with c.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    with c.uow() as uow:
        report = verify_chain(uow.counter.audit_entries())
    assert (report.ok, report.broken_at, report.problem) == (False, 2, "missing")


def test_r_rev_3_revocation_request_at_the_counter(c: Container) -> None:
    r = resident(c)
    issued = p1(c, r)
    case = c.counter.open_case(kind=CaseKind.REVOCATION, resident_id=r.id, actor=MAIN)
    done = c.counter.revoke_on_request(case.id, [CertKind.SIGN], MAIN)
    assert done.state is CaseState.COMPLETED
    assert ocsp(c, issued[CertKind.SIGN]).revocation_reason is x509.ReasonFlags.unspecified
    assert ocsp(c, issued[CertKind.AUTH]).certificate_status is x_ocsp.OCSPCertStatus.GOOD


def test_r_rev_3_lost_and_found_cases(c: Container) -> None:
    r = resident(c)
    issued = p1(c, r)
    lost = c.counter.open_case(kind=CaseKind.CARD_LOST, resident_id=r.id, actor=MAIN)
    c.counter.card_event(lost.id, MAIN)
    assert ocsp(c, issued[CertKind.AUTH]).revocation_reason is x509.ReasonFlags.certificate_hold
    with pytest.raises(Refused):  # the card is lost: no issuance on it
        c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    found = c.counter.open_case(kind=CaseKind.CARD_FOUND, resident_id=r.id, actor=MAIN)
    assert c.counter.card_event(found.id, MAIN).state is CaseState.COMPLETED
    for rec in issued.values():  # never simply released: revoked
        assert ocsp(c, rec).revocation_reason is x509.ReasonFlags.key_compromise
    audit_ok(c)


def test_refusal_is_recorded_with_its_reason(c: Container) -> None:
    r = resident(c)
    case = c.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    refused = c.counter.refuse(case.id, "proxy_id_insufficient", MAIN)
    assert (refused.state, refused.refusal) == (CaseState.REFUSED, "proxy_id_insufficient")
    assert refused.closed_at is not None
    with pytest.raises(InvalidTransition):
        c.counter.mail_inquiry_letter(case.id, MAIN)
    with c.uow() as uow:
        assert uow.counter.history(case.id) == [("refuse", "open", "refused")]


def test_an_audit_entry_at_a_jst_time_verifies(c: Container) -> None:
    """The chain hashes the time as the store keeps it (UTC): an entry written with a JST
    clock's time verifies when read back (found when a JST-built demo system was reused)."""
    from madoguchi.rules.dates import JST
    from madoguchi.services.audit import record

    with c.uow() as uow:
        record(
            uow,
            datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=JST),
            Actor("t", "main", "t1"),
            "test.jst",
        )
    audit_ok(c)
