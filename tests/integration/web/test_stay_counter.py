"""Foreign residents' cards at the counter (issue 16): R-CARD-2 the card and its certificates
end with the stay; R-CARD-3 the validity change, renewing both certificates at the same visit
when the holder applies (not when a household member does); R-CARD-4 the special extension,
once; R-NOTICE-5 no expiry notice for an expiry that comes from the stay."""

from __future__ import annotations

from datetime import date, timedelta

from madoguchi.bootstrap import Container
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.stay import special_extension_end
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.demo import DEMO_JUKI_PIN
from madoguchi.services.domain import Card
from tests.integration.web.test_counter_pages import CASE_RE, issue, record, resident_id
from tests.support.web import Browser, browser

NAME = "NGUYEN"


def card_of(c: Container, name: str = NAME) -> Card:
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=name)
        (card,) = uow.counter.cards_of(resident.id)
    return card


def today_of(c: Container) -> date:
    return jst_date(c.clock())


def test_r_card_2_the_card_and_its_certificates_end_with_the_stay(demo: Container) -> None:
    card = card_of(demo)
    assert card.limited_by_stay
    assert card.expires == today_of(demo) + timedelta(days=35)
    with demo.uow() as uow:
        certs = uow.pki.certificates_of_card(card.id)
    assert {jst_date(r.not_after) for r in certs} == {card.expires}
    page = browser(demo)
    page.login("clerk")
    text = page.get(f"/staff/residents/{resident_id(demo, NAME)}").text
    assert 'data-testid="limited-by-stay"' in text
    assert 'data-testid="validity-change"' in text and 'data-testid="special-extension"' in text


def test_r_notice_5_no_expiry_notice_for_an_expiry_that_comes_from_the_stay(
    fresh: Container,
) -> None:
    card = card_of(fresh)
    window = (card.expires - timedelta(days=1), card.expires + timedelta(days=1))
    fresh.notices.plan(Actor("supervisor", "main", "T1"), window=window)
    with fresh.uow() as uow:
        (resident,) = uow.counter.find_residents(name=NAME)
        assert uow.notices.notices_of_resident(resident.id) == []


def change(b: Browser, rid: str, new_stay: date, applicant: str):  # type: ignore[no-untyped-def]
    return b.post_form(
        f"/staff/residents/{rid}",
        f"/staff/residents/{rid}/validity-change",
        {"new_stay_until": new_stay.isoformat(), "applicant": applicant},
    )


def test_r_card_3_the_validity_change_renews_both_certificates_at_the_same_visit(
    fresh: Container,
) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, NAME)
    old = card_of(fresh)
    with fresh.uow() as uow:
        old_certs = uow.pki.certificates_of_card(old.id)
    new_stay = today_of(fresh) + timedelta(days=3 * 365)
    r = change(b, rid, new_stay, "holder")
    m = CASE_RE.search(str(r.url))
    assert m, r.text[:800]  # straight on to the renewal case (P3)
    case_id = m.group(1)
    card = card_of(fresh)
    assert card.expires == new_stay and card.limited_by_stay
    assert card.validity_changed_on == today_of(fresh)
    record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin=DEMO_JUKI_PIN)
    done = issue(b, case_id).text
    assert "電子証明書を発行しました" in done
    with fresh.uow() as uow:
        after = {r.serial_hex: r for r in uow.pki.certificates_of_card(card.id)}
    for rec in old_certs:  # R-VAL-4: the old ones superseded
        assert after[rec.serial_hex].reason is RevocationReason.SUPERSEDED
    new = [r for s, r in after.items() if s not in {o.serial_hex for o in old_certs}]
    assert {r.kind for r in new} == {CertKind.SIGN, CertKind.AUTH}
    assert all(jst_date(r.not_after) == new_stay for r in new)


def test_r_card_3_a_household_member_does_the_cards_part_only(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, NAME)
    new_stay = today_of(fresh) + timedelta(days=365)
    r = change(b, rid, new_stay, "household")
    assert "/staff/cases/" not in str(r.url)
    assert "電子証明書は後日" in r.text
    assert card_of(fresh).expires == new_stay


def test_r_card_4_the_special_extension_once(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, NAME)
    before = card_of(fresh).expires
    page, action = f"/staff/residents/{rid}", f"/staff/residents/{rid}/special-extension"
    r = b.post_form(page, action, {})
    assert "延長しました" in r.text
    card = card_of(fresh)
    assert card.expires == special_extension_end(before) and card.extension_used
    r = b.post_form(page, action, {})
    assert 'data-code="stay_extension_used"' in r.text and "1回だけ" in r.text
    assert card_of(fresh).expires == card.expires


def test_r_card_3_a_citizen_has_no_validity_change(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, "帯広")
    r = change(b, rid, today_of(fresh) + timedelta(days=365), "holder")
    assert 'data-code="no_stay_holder"' in r.text
