"""CounterService on the in-memory store (tests/support/fakes.py): P1 and P2 through to the
issuance, the refusals and their log (R-PROC-0 … R-PROC-3, R-PIN-1, R-PIN-2), idempotent
opening. The same procedures on SQLite and PostgreSQL: tests/integration/test_counter.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography import x509

from madoguchi.card.jpki import JpkiCard
from madoguchi.messages import japanese_of
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import InvalidTransition, RuleInputError
from madoguchi.rules.id_documents import IdDocument as D
from madoguchi.rules.inquiry import format_letter_number
from madoguchi.rules.items import Item as I
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import AuditEntry, Correctable, Refused
from tests.unit.services.world import (
    AUTH_PIN,
    BRANCH,
    JUKI,
    MAIN,
    SIGN_PW,
    World,
    audit_log,
    p1,
    register,
)

PROXY = "代理 花子"


def refusals(w: World) -> list[tuple[str, str, str | None, str | None]]:
    """The supervisor's list: (office, code, case, resident) of each logged refusal."""
    return [
        (e.office, e.detail["code"], e.case_id, e.resident_id)
        for e in audit_log(w)
        if e.action == "counter.refused"
    ]


def of_case(w: World, case_id: str) -> list[AuditEntry]:
    return [e for e in audit_log(w) if e.case_id == case_id]


def test_p1_open_record_visit_issue(w: World) -> None:
    """P1 (R-PROC-5, R-PROC-6): the case opened on the holder's card, the visit's items
    recorded, both certificates issued on the card with R-VAL-1/R-VAL-2's expiry, the fee
    (R-PROC-4, waived) and receipt recorded, every step in the audit chain."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    with w.uow.read_only() as uow:
        (card,) = uow.counter.cards_of(r.id)
    assert (case.state, case.card_id, case.office) == (CaseState.OPEN, card.id, "main")

    visited = w.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    assert visited.items == {"1": ["card", "holder_pin"]}

    w.clock.advance(minutes=5)
    done = w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert set(done.certificates) == {CertKind.SIGN, CertKind.AUTH}
    for rec in done.certificates.values():  # the 5th birthday after issuance (R-VAL-1/2)
        assert jst_date(rec.not_after) == date(2031, 7, 1)
    assert (done.fee_due, done.receipt_no, done.superseded) == (0, "RC20261124-00001", ())
    assert done.case.state is CaseState.ISSUED

    with w.uow.read_only() as uow:
        stored = uow.counter.case(case.id)
        assert stored is not None
        assert (stored.state, stored.fee_due, stored.receipt_no, stored.closed_at) == (
            CaseState.ISSUED,
            0,
            "RC20261124-00001",
            w.clock(),
        )
        assert uow.counter.history(case.id) == [("issue", "open", "issued")]
        on_file = {(c.kind, c.serial, c.status) for c in uow.pki.certificates_of_card(card.id)}
    assert on_file == {(k, rec.serial, CertStatus.GOOD) for k, rec in done.certificates.items()}

    api = JpkiCard(w.cards.load(card.id))  # written to the card (the staged file promoted)
    for kind, password in ((CertKind.AUTH, None), (CertKind.SIGN, SIGN_PW)):
        der = api.read_certificate(kind, sign_password=password)
        assert der is not None
        assert x509.load_der_x509_certificate(der).serial_number == done.certificates[kind].serial

    assert [e.action for e in of_case(w, case.id)] == [
        "case.open",
        "case.items",
        "case.issue",
        "certificate.issue",
        "certificate.issue",
    ]
    assert refusals(w) == []


def test_r_proc_0_refused_at_a_branch_office_and_logged(w: World) -> None:
    """R-PROC-0: a branch office opens no case and records nothing on one; each refusal is
    in the audit log as ``counter.refused`` with its code, office, resident and case."""
    r = register(w)
    with pytest.raises(Refused) as err:
        w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=BRANCH)
    assert err.value.code == "branch_office"
    with w.uow.read_only() as uow:
        assert uow.counter.cases_of_resident(r.id) == []

    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:
        w.counter.record_visit(case.id, visit=1, items=[I.CARD], actor=BRANCH)
    assert err.value.code == "branch_office"
    with w.uow.read_only() as uow:
        assert uow.counter.case(case.id) == case  # nothing recorded, version unchanged

    assert refusals(w) == [
        ("kawanishi", "branch_office", None, r.id),
        ("kawanishi", "branch_office", case.id, None),
    ]
    logged = [e for e in audit_log(w) if e.action == "counter.refused"]
    assert {(e.clerk, e.terminal) for e in logged} == {(BRANCH.clerk, BRANCH.terminal)}


def test_r_proc_3_renewal_outside_the_window_refused(w: World) -> None:
    """R-PROC-3 (R-VAL-3): a renewal is refused before its window opens — logged, no case
    opened — and accepted once it is open; a card with nothing to renew is refused too."""
    r = register(w)
    p1(w, r)  # both expire 2031-07-01; the window opens 2031-04-02
    w.clock.now = datetime(2031, 3, 31, 1, 0, tzinfo=UTC)
    with pytest.raises(Refused) as err:
        w.counter.open_case(kind=CaseKind.P3, resident_id=r.id, actor=MAIN)
    assert err.value.code == "outside_window"
    with w.uow.read_only() as uow:
        assert [c.kind for c in uow.counter.cases_of_resident(r.id)] == [CaseKind.P1]
    assert refusals(w) == [("main", "outside_window", None, r.id)]

    w.clock.now = datetime(2031, 4, 2, 1, 0, tzinfo=UTC)
    renewal = w.counter.open_case(kind=CaseKind.P3, resident_id=r.id, actor=MAIN)
    assert (renewal.kind, renewal.state) == (CaseKind.P3, CaseState.OPEN)

    newcomer = register(w, name="新規 花子")
    with pytest.raises(Refused) as err:
        w.counter.open_case(kind=CaseKind.P3, resident_id=newcomer.id, actor=MAIN)
    assert err.value.code == "nothing_to_renew"


def test_p2_inquiry_letter_and_the_second_visit(w: World) -> None:
    """P2 (R-PROC-1, R-PROC-2): the proxy's ID checked, the first visit never issues, the
    inquiry letter mailed to the registered address, the second visit issues only with that
    letter, which is then used up and bound to its case."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:  # one non-photo document is not enough
        w.counter.record_visit(
            case.id,
            visit=1,
            items=[I.CARD, I.PROXY_ID],
            actor=MAIN,
            proxy_documents=[D.QUALIFICATION_CERTIFICATE],
            proxy_name=PROXY,
        )
    assert err.value.code == "proxy_id_insufficient"
    first = w.counter.record_visit(
        case.id,
        visit=1,
        items=[I.CARD, I.PROXY_ID],
        actor=MAIN,
        proxy_documents=[D.QUALIFICATION_CERTIFICATE, D.PENSION_DOCUMENT],
        proxy_name=PROXY,
    )
    assert first.documents == {
        "1": {
            "proxy": {
                "codes": ["qualification_certificate", "pension_document"],
                "counted": ["qualification_certificate", "pension_document"],
                "notes": [],
                "name": PROXY,
            }
        }
    }
    with pytest.raises(InvalidTransition):  # the first visit never issues
        w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)

    letter = w.counter.mail_inquiry_letter(case.id, MAIN)
    assert letter.number == format_letter_number(2026, 1)
    assert (letter.case_id, letter.resident_id, letter.address) == (case.id, r.id, r.address)
    assert (letter.mailed_at, letter.used_at) == (w.clock(), None)
    with w.uow.read_only() as uow:
        stored = uow.counter.case(case.id)
        assert stored is not None and stored.state is CaseState.AWAITING_REPLY
        assert uow.counter.letters_of_case(case.id) == [letter]

    w.clock.advance(days=7)
    w.counter.record_visit(
        case.id,
        visit=2,
        actor=MAIN,
        items=[I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID],
        proxy_documents=[D.DRIVER_LICENSE],
        proxy_name=PROXY,
    )
    with pytest.raises(Refused) as err:
        w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert err.value.code == "letter_required"
    done = w.counter.issue(
        case.id,
        sign_password=SIGN_PW,
        auth_pin=AUTH_PIN,
        actor=MAIN,
        letter_number=letter.number.replace("-", ""),  # typed without hyphens
    )
    assert done.case.state is CaseState.ISSUED
    assert set(done.certificates) == {CertKind.SIGN, CertKind.AUTH}
    with w.uow.read_only() as uow:
        assert uow.counter.history(case.id) == [
            ("letter_mailed", "open", "awaiting_reply"),
            ("issue", "awaiting_reply", "issued"),
        ]
        used = uow.counter.letter(letter.number)
    assert used is not None and used.used_at == w.clock()

    other = w.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    w.counter.record_visit(
        other.id,
        visit=1,
        items=[I.CARD, I.PROXY_ID],
        actor=MAIN,
        proxy_documents=[D.PASSPORT],
        proxy_name=PROXY,
    )
    w.counter.mail_inquiry_letter(other.id, MAIN)
    w.counter.record_visit(
        other.id,
        visit=2,
        actor=MAIN,
        items=[I.INQUIRY_LETTER, I.POWER_OF_ATTORNEY, I.CARD, I.PROXY_ID],
        proxy_documents=[D.PASSPORT],
        proxy_name=PROXY,
    )
    with pytest.raises(Refused) as err:  # the first case's letter, on another case
        w.counter.issue(
            other.id,
            sign_password=SIGN_PW,
            auth_pin=AUTH_PIN,
            actor=MAIN,
            letter_number=letter.number,
        )
    assert err.value.code == "letter_other_case"
    assert [code for _, code, _, _ in refusals(w)] == [  # ID not yet sufficient: no refusal
        "invalid_transition",
        "letter_required",
        "letter_other_case",
    ]


def test_an_idempotency_key_returns_the_same_case(w: World) -> None:
    """A retried open (the same terminal's key) gets the case the first one opened, and
    opens nothing more; another key opens another case."""
    r = register(w)
    first = w.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, idempotency_key="T1-0001"
    )
    w.clock.advance(seconds=30)
    again = w.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, idempotency_key="T1-0001"
    )
    assert again == first
    with w.uow.read_only() as uow:
        assert uow.counter.cases_of_resident(r.id) == [first]
    assert [e.action for e in of_case(w, first.id)] == ["case.open"]

    other = w.counter.open_case(
        kind=CaseKind.P1, resident_id=r.id, actor=MAIN, idempotency_key="T1-0002"
    )
    assert other.id != first.id
    with w.uow.read_only() as uow:
        assert [c.id for c in uow.counter.cases_of_resident(r.id)] == [first.id, other.id]


def test_r_pin_2_a_wrong_juki_pin_is_a_slip_not_a_refusal(w: World) -> None:
    """R-PIN-2: a wrong 住基 PIN is turned down on the card — nothing recorded on the case, the
    spent try kept on the card and audited (``card.pin_failed`` with the tries left), the
    tries left told (issue 15 blocker 4); a typo is no refusal: the supervisor's list stays
    empty. R-PIN-1: a malformed PIN costs no try. The third wrong try locks the PIN — that
    one is a refusal (another errand: the reset)."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    with pytest.raises(RuleInputError) as bad:
        w.counter.record_visit(
            case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin="12a4"
        )
    assert bad.value.code == "pin_not_four_digits"

    with pytest.raises(Refused) as err:
        w.counter.record_visit(
            case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin="9999"
        )
    assert err.value.code == "wrong_pin"
    assert "2 tries left" in err.value.detail  # three tries; the malformed one was not one
    with w.uow.read_only() as uow:
        assert uow.counter.case(case.id) == case  # nothing recorded

    with pytest.raises(Refused) as err:  # the spent try was saved on the card
        w.counter.record_visit(
            case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin="9998"
        )
    assert "1 tries left" in err.value.detail
    assert isinstance(err.value, Correctable)
    assert (err.value.field, err.value.params) == ("juki_pin", {"tries": 1})
    assert japanese_of(err.value) == "暗証番号が違います。あと1回間違えるとロックされます。"

    assert refusals(w) == []
    failed = [e.detail for e in of_case(w, case.id) if e.action == "card.pin_failed"]
    assert failed == [{"tries_left": 2}, {"tries_left": 1}]
    right = w.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    assert right.items == {"1": ["card", "holder_pin"]}
