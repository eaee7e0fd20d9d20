"""Issue 15's blockers at the service: a holder without the 住基 PIN served with ID documents,
ID documents by their R-ID codes judged per visit (the proxy's name recorded, the
health-insurance card refused after 2025-12-01), a wrong PIN that is no refusal, the clerk's
choice of certificates, and a found card that is usable again (R-REV-3)."""

from __future__ import annotations

import pytest

from madoguchi.messages import japanese_of
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.id_documents import IdDocument as D
from madoguchi.rules.items import IdRole
from madoguchi.rules.items import Item as I
from madoguchi.rules.revocation import CertStatus, RegistryEvent
from madoguchi.rules.validity import CertKind
from madoguchi.services.counter_base import PinFormatError
from madoguchi.services.counter_documents import visit_documents
from madoguchi.services.domain import CardStatus, Correctable, Refused
from madoguchi.services.registry import current_certificates
from madoguchi.services.views import CounterViews, applicable_errands, katakana
from tests.unit.services.world import AUTH_PIN, JUKI, MAIN, SIGN_PW, World, audit_log, p1, register

PROXY = "代理 花子"


def rule_refusals(w: World) -> list[str]:
    return [e.detail["code"] for e in audit_log(w) if e.action == "counter.refused"]


def test_blocker_1_a_holder_without_the_pin_is_served_with_id(w: World) -> None:
    """Blocker 1: no PIN typed, a driving licence shown: the documents count as the holder's
    ID item (not ticked separately), the visit is complete and the issuance goes through."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    visited = w.counter.record_visit(
        case.id, visit=1, items=[I.CARD], holder_documents=[D.DRIVER_LICENSE], actor=MAIN
    )
    assert visited.items == {"1": ["card", "holder_id"]}
    done = w.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert done.case.state is CaseState.ISSUED
    assert rule_refusals(w) == []


def test_blocker_1_the_pin_item_without_a_pin_is_a_slip(w: World) -> None:
    """The PIN ticked but not typed: the service asks for the PIN or the ID documents — a
    slip beside the PIN field, no refusal logged."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    with pytest.raises(Correctable) as err:
        w.counter.record_visit(case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN)
    assert (err.value.code, err.value.field) == ("pin_required", "juki_pin")
    assert "本人確認書類" in japanese_of(err.value)
    assert rule_refusals(w) == []


def test_blocker_3_documents_by_code_per_visit_with_the_proxy_name(w: World) -> None:
    """R-ID-2: a proxy with two documents without photo (one public) is identified; the
    codes, those that counted and the proxy's name are recorded for the visit; without the
    name the visit is not recorded."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P2, resident_id=r.id, actor=MAIN)
    docs = [D.QUALIFICATION_CERTIFICATE, D.STUDENT_ID]
    with pytest.raises(Correctable) as err:
        w.counter.record_visit(case.id, visit=1, items=[I.CARD], proxy_documents=docs, actor=MAIN)
    assert (err.value.code, err.value.field) == ("proxy_name_required", "proxy_name")

    visited = w.counter.record_visit(
        case.id,
        visit=1,
        items=[I.CARD],
        proxy_documents=docs,
        proxy_name=" 代理　花子 ",  # spaces folded
        actor=MAIN,
    )
    assert visited.items == {"1": ["card", "proxy_id"]}
    recorded = visit_documents(visited)[1][IdRole.PROXY]
    assert (recorded.shown, recorded.counted, recorded.name) == (tuple(docs), tuple(docs), PROXY)
    (entry,) = [e for e in audit_log(w) if e.action == "case.items"]
    assert entry.detail["documents"] == {"proxy": [d.value for d in docs]}
    assert PROXY not in str(entry.detail)  # the name stays on the case, not in the log


@pytest.mark.parametrize(
    ("role", "shown", "reason"),
    [
        ("holder", [D.HEALTH_INSURANCE_CARD], "health_insurance_card_ended"),
        ("proxy", [D.QUALIFICATION_CERTIFICATE], "second_document_needed"),
        ("proxy", [D.STUDENT_ID, D.PATIENT_CARD], "public_document_needed"),
        ("holder", [D.STUDENT_ID], "public_document_needed"),
    ],
)
def test_blocker_3_insufficient_documents_name_the_reason(
    w: World, role: str, shown: list[D], reason: str
) -> None:
    """R-ID-2, R-ID-3: the verdict's reason goes with the refusal, beside its field; after
    2025-12-01 the health-insurance card is refused naming 資格確認書."""
    r = register(w)
    kind = CaseKind.P1 if role == "holder" else CaseKind.P2
    case = w.counter.open_case(kind=kind, resident_id=r.id, actor=MAIN)
    with pytest.raises(Refused) as err:
        w.counter.record_visit(
            case.id,
            visit=1,
            items=[I.CARD],
            actor=MAIN,
            proxy_name=PROXY,
            **{f"{role}_documents": shown},  # type: ignore[arg-type]
        )
    assert (err.value.code, err.value.detail) == (f"{role}_id_insufficient", reason)
    assert err.value.field == f"{role}_documents"
    if reason == "health_insurance_card_ended":
        assert "資格確認書" in japanese_of(err.value)
    with w.uow.read_only() as uow:
        assert uow.counter.case(case.id) == case
    assert rule_refusals(w) == []  # the person may show another document: no refusal yet
    (rejected,) = [e for e in audit_log(w) if e.action == "case.documents_rejected"]
    assert rejected.detail == {"reason": reason, "documents": [d.value for d in shown]}


def test_blocker_4_a_wrong_pin_keeps_nothing_and_the_lock_is_the_refusal(w: World) -> None:
    """Three wrong tries: two slips that say the tries left (audited, no refusal), then the
    lock — which is a refusal (the PIN reset is another errand)."""
    r = register(w)
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    said = []
    for wrong in ("9999", "9998"):
        with pytest.raises(Correctable) as err:
            w.counter.record_visit(
                case.id, visit=1, items=[I.CARD], juki_pin=wrong, actor=MAIN
            )  # a PIN typed is the PIN item, ticked or not
        said.append(japanese_of(err.value))
    assert said == [
        "暗証番号が違います。あと2回間違えるとロックされます。",
        "暗証番号が違います。あと1回間違えるとロックされます。",
    ]
    assert rule_refusals(w) == []
    with pytest.raises(Refused) as locked:
        w.counter.record_visit(case.id, visit=1, items=[I.CARD], juki_pin="9997", actor=MAIN)
    assert locked.value.code == "pin_locked"
    assert rule_refusals(w) == ["pin_locked"]
    assert JUKI != "9997"


def test_blocker_5_a_valid_certificate_is_replaced_only_when_chosen(w: World) -> None:
    """P1 for a holder whose signing certificate alone was revoked: by default only the
    signing certificate is issued, the valid auth certificate kept; chosen, both are."""
    r = register(w)
    first = p1(w, r)
    card_id = first.case.card_id
    assert card_id is not None
    case = w.counter.open_case(kind=CaseKind.REVOCATION, resident_id=r.id, actor=MAIN)
    w.counter.revoke_on_request(case.id, [CertKind.SIGN], MAIN)

    w.clock.advance(minutes=1)
    again = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    view = CounterViews(w.uow, w.clock).case(again.id)
    assert (view.eligible, view.default_kinds, view.valid_kinds) == (
        [CertKind.AUTH, CertKind.SIGN],
        [CertKind.SIGN],
        [CertKind.AUTH],
    )
    w.counter.record_visit(again.id, visit=1, items=[I.CARD], juki_pin=JUKI, actor=MAIN)
    done = w.counter.issue(again.id, sign_password=SIGN_PW, auth_pin="", actor=MAIN)
    assert set(done.certificates) == {CertKind.SIGN}
    assert done.superseded == ()
    with w.uow.read_only() as uow:
        current = current_certificates(uow, card_id)
    assert current[CertKind.AUTH].serial == first.certificates[CertKind.AUTH].serial
    assert current[CertKind.AUTH].status is CertStatus.GOOD

    w.clock.advance(minutes=1)
    both = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    w.counter.record_visit(both.id, visit=1, items=[I.CARD], juki_pin=JUKI, actor=MAIN)
    with pytest.raises(PinFormatError) as err:  # the signing password for the chosen kind
        w.counter.issue(
            both.id, sign_password=None, auth_pin=AUTH_PIN, actor=MAIN, kinds=list(CertKind)
        )
    assert (err.value.code, err.value.field) == ("sign_password_required", "sign_password")
    replaced = w.counter.issue(
        both.id,
        sign_password=SIGN_PW,
        auth_pin=AUTH_PIN,
        actor=MAIN,
        kinds=[CertKind.AUTH, CertKind.SIGN],
    )
    assert {rec.kind for rec in replaced.superseded} == {CertKind.AUTH, CertKind.SIGN}


def test_blocker_5_a_child_cannot_be_given_a_signing_certificate(w: World) -> None:
    from datetime import date

    r = register(w, birth=date(2015, 1, 1))
    case = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    w.counter.record_visit(case.id, visit=1, items=[I.CARD], juki_pin=JUKI, actor=MAIN)
    with pytest.raises(Refused) as err:
        w.counter.issue(
            case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN, kinds=[CertKind.SIGN]
        )
    assert (err.value.code, err.value.field) == ("kind_not_eligible", "kinds")


def test_blocker_2_a_found_card_gets_new_certificates(w: World) -> None:
    """R-REV-3: lost (held) → found (revoked, the card usable again) → P1 on the same card."""
    r = register(w)
    first = p1(w, r)
    card_id = first.case.card_id
    lost = w.counter.open_case(kind=CaseKind.CARD_LOST, resident_id=r.id, actor=MAIN)
    w.counter.card_event(lost.id, MAIN)
    view = CounterViews(w.uow, w.clock)
    assert view.resident(r.id).errands == [CaseKind.CARD_FOUND]
    found = w.counter.open_case(kind=CaseKind.CARD_FOUND, resident_id=r.id, actor=MAIN)
    w.counter.card_event(found.id, MAIN)
    with w.uow.read_only() as uow:
        (card,) = uow.counter.cards_of(r.id)
        assert card.status is CardStatus.ACTIVE
        statuses = {rec.status for rec in uow.pki.certificates_of_card(card.id)}
    assert statuses == {CertStatus.REVOKED}
    assert CaseKind.CARD_FOUND not in view.resident(r.id).errands

    w.clock.advance(minutes=1)
    again = w.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    assert again.card_id == card_id
    w.counter.record_visit(again.id, visit=1, items=[I.CARD], juki_pin=JUKI, actor=MAIN)
    done = w.counter.issue(again.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert set(done.certificates) == {CertKind.AUTH, CertKind.SIGN}
    assert rule_refusals(w) == []
    assert RegistryEvent.FOUND.value == "found"


def test_only_applicable_errands_are_offered(w: World) -> None:
    """No renewal without a certificate in its window, no revocation without certificates,
    nothing for a deceased resident."""
    r = register(w)
    views = CounterViews(w.uow, w.clock)
    assert views.resident(r.id).errands == [
        CaseKind.P1,
        CaseKind.P2,
        CaseKind.PIN_RESET,
        CaseKind.CARD_LOST,
    ]
    p1(w, r)
    assert CaseKind.REVOCATION in views.resident(r.id).errands
    assert CaseKind.P3 not in views.resident(r.id).errands  # five years to go
    w.registry.apply(r.id, RegistryEvent.DEATH, MAIN)
    person = views.resident(r.id)
    assert person.errands == []
    assert applicable_errands(person.resident, [], {}, w.clock().date()) == []


def test_search_reads_hiragana_as_katakana(w: World) -> None:
    r = register(w)
    views = CounterViews(w.uow, w.clock)
    assert katakana("おびひろ たろう") == "オビヒロ タロウ"
    assert [x.id for x in views.find_residents(name="おびひろ", birth=None)] == [r.id]
    assert [x.id for x in views.find_residents(name="帯広", birth=None)] == [r.id]
