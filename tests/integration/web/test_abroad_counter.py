"""Moving abroad at the counter (issue 16): R-ABROAD-1 the notice with continued use (no later
than the day before the move-out; Japanese nationals only); R-ABROAD-2 the move revokes the
domestic `sign` (affiliationChanged) and keeps `auth`, or without continued use revokes both
and the card lapses, the remarks recording 国外転出 and the date; R-ABROAD-3 the 国外転出者向け
signing certificate with the 戸籍の附票's address, surviving the move, and refused to a proxy
after the move-out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from madoguchi.bootstrap import Container
from madoguchi.pki.facts import facts_from_certificate
from madoguchi.rules.dates import JST, jst_date
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.demo import DEMO_JUKI_PIN
from madoguchi.services.domain import Card, CardStatus, ResidentStatus
from tests.integration.web.test_counter_pages import issue, record, resident_id
from tests.integration.web.test_public import set_jst
from tests.support.web import Browser, browser

CASE_RE = re.compile(r"/staff/cases/(C[0-9A-F]+)")


def card_of(c: Container, name: str) -> Card:
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=name)
        return uow.counter.cards_of(resident.id)[-1]


def certs_of(c: Container, card_id: str) -> dict[str, object]:
    with c.uow() as uow:
        return {r.serial_hex: r for r in uow.pki.certificates_of_card(card_id)}


def notice(b: Browser, rid: str, move_out: date, *, continued: bool) -> str:
    data: dict[str, object] = {"move_out": move_out.isoformat(), "destination": "アメリカ合衆国"}
    if continued:
        data["continued"] = "1"
    return str(
        b.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/move-abroad", data).text
    )


def abroad_sign(b: Browser, rid: str, applicant: str):  # type: ignore[no-untyped-def]
    return b.post_form(
        f"/staff/residents/{rid}", f"/staff/residents/{rid}/abroad-sign", {"applicant": applicant}
    )


def test_r_abroad_1_2_3_continued_use_and_the_abroad_sign_certificate(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    name = "帯広"
    rid = resident_id(fresh, name)
    today = jst_date(fresh.clock())
    move_out = today + timedelta(days=10)
    old = card_of(fresh, name)
    before = certs_of(fresh, old.id)
    assert "国外転出届を受け付けました" in notice(b, rid, move_out, continued=True)
    assert card_of(fresh, name).abroad_since == move_out

    # R-ABROAD-3 before the move-out: the holder in person, P1, the 附票's address
    r = abroad_sign(b, rid, "self")
    m = CASE_RE.search(str(r.url))
    assert m, r.text[:800]
    case_id = m.group(1)
    case_page = b.get(f"/staff/cases/{case_id}").text
    assert 'data-testid="abroad-sign-case"' in case_page and "アメリカ合衆国" in case_page
    record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    assert "電子証明書を発行しました" in issue(b, case_id).text
    card = card_of(fresh, name)
    assert card.abroad_sign_serial is not None
    abroad = certs_of(fresh, card.id)[card.abroad_sign_serial]
    facts = facts_from_certificate(_x509(abroad))
    assert facts is not None and facts.address == "アメリカ合衆国"

    # the move takes effect on the move-out date: the domestic sign was superseded already,
    # the abroad one survives, auth is kept, the remarks say 国外転出 and the date
    b.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/move-abroad/record", {})
    assert card_of(fresh, name).remarks == ()  # not before the move-out date
    set_jst(fresh, datetime.combine(move_out, datetime.min.time(), JST) + timedelta(hours=10))
    b.login("clerk")  # a new day, a new session
    r = b.post_form(f"/staff/residents/{rid}", f"/staff/residents/{rid}/move-abroad/record", {})
    assert "国外転出を記録しました" in r.text
    card = card_of(fresh, name)
    assert card.status is CardStatus.ACTIVE and card.remarks[-1].startswith("国外転出（")
    after = certs_of(fresh, card.id)
    assert after[card.abroad_sign_serial].status is CertStatus.GOOD  # type: ignore[attr-defined]
    auth = [r for r in after.values() if r.kind is CertKind.AUTH]  # type: ignore[attr-defined]
    assert [a.status for a in auth] == [CertStatus.GOOD]
    domestic = [s for s, r in before.items() if r.kind is CertKind.SIGN]  # type: ignore[attr-defined]
    assert all(after[s].status is CertStatus.REVOKED for s in domestic)  # type: ignore[attr-defined]
    with fresh.uow() as uow:
        resident = uow.counter.resident(rid)
    assert resident is not None and resident.status is ResidentStatus.MOVED_OUT

    # after the move-out, a proxy is refused with the reason; the holder may still apply
    r = abroad_sign(b, rid, "household")
    assert 'data-code="abroad_proxy_after_move_out"' in r.text
    assert "本人が来庁して申請してください" in r.text
    r = abroad_sign(b, rid, "self")
    assert CASE_RE.search(str(r.url))


def test_r_abroad_2_without_continued_use_the_card_lapses(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    name = "西\u3000一郎"
    rid = resident_id(fresh, name)
    today = jst_date(fresh.clock())
    notice(b, rid, today, continued=False)  # filed on the day: recorded at once
    card = card_of(fresh, name)
    assert card.status is CardStatus.LAPSED and card.remarks[-1].startswith("国外転出（")
    for rec in certs_of(fresh, card.id).values():
        if rec.status is not CertStatus.REVOKED:  # type: ignore[attr-defined]
            assert jst_date(rec.not_after) < today  # type: ignore[attr-defined]
        else:
            assert rec.reason in (  # type: ignore[attr-defined]
                RevocationReason.CESSATION_OF_OPERATION,
                RevocationReason.SUPERSEDED,
            )


def test_r_abroad_1_continued_use_is_asked_for_before_the_move_out(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "十勝")
    text = notice(b, rid, jst_date(fresh.clock()), continued=True)
    assert 'data-code="abroad_too_late"' in text and "前日まで" in text
    assert card_of(fresh, "十勝").abroad_since is None


def _x509(record: object):  # type: ignore[no-untyped-def]
    from cryptography import x509

    return x509.load_der_x509_certificate(record.der)  # type: ignore[attr-defined]
