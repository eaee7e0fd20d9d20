"""The face-authentication card at the counter (issue 16): R-FACE-1 the switch revokes the
`sign` certificate, clears the PINs and empties the `sign` key slot on the (virtual) card,
writes 顔認証 in the remarks and keeps `auth`; R-FACE-2 the switch back sets the PINs."""

from __future__ import annotations

import pytest

from madoguchi.bootstrap import Container
from madoguchi.card.errors import PinNotSet
from madoguchi.card.jpki import JpkiCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Card
from tests.integration.web.test_counter_pages import open_case, record, resident_id
from tests.support.web import browser

NAME = "帯広"


def card_of(c: Container) -> Card:
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=NAME)
        (card,) = uow.counter.cards_of(resident.id)
    return card


def test_r_face_1_the_switch_and_r_face_2_the_way_back(fresh: Container) -> None:
    b = browser(fresh)
    b.login("clerk")
    rid = resident_id(fresh, NAME)
    page, action = f"/staff/residents/{rid}", f"/staff/residents/{rid}/face-auth"
    assert 'data-testid="face-auth-switch"' in b.get(page).text
    r = b.post_form(page, action, {"to": "face"})
    assert "顔認証マイナンバーカードに切り替えました" in r.text
    assert 'data-testid="face-auth"' in r.text and "追記欄: 顔認証" in r.text
    card = card_of(fresh)
    assert card.face_auth and card.remarks == ("顔認証",)
    with fresh.uow() as uow:
        certs = {r.kind: r for r in uow.pki.certificates_of_card(card.id)}
    assert certs[CertKind.SIGN].status is CertStatus.REVOKED
    assert certs[CertKind.SIGN].reason is RevocationReason.CESSATION_OF_OPERATION
    assert certs[CertKind.AUTH].status is CertStatus.GOOD  # kept (our reading)
    virtual = fresh.card_side.load(card.id)
    api = JpkiCard(virtual)
    assert not any(api.pin_is_set(pin) for pin in PinKind)  # no PINs on the card
    with pytest.raises(PinNotSet):
        api.verify(PinKind.SIGN, "DEMO1234")
    memory = virtual._memory  # white box: the chip's key slots have no APDU to list them
    assert not memory.has_key(CertKind.SIGN) and memory.has_key(CertKind.AUTH)
    assert api.read_certificate(CertKind.AUTH) is not None  # auth kept, readable freely

    # a second switch is refused, in Japanese
    r = b.post_form(page, action, {"to": "face"})
    assert 'data-code="not_face_auth"' not in r.text
    assert "顔認証" in r.text

    # R-FACE-2: back to a normal card, the holder sets the PINs (R-PIN-1 checked first)
    r = b.post_form(page, action, {"to": "pin", "juki_pin": "12", "kenmen_pin": "5678"})
    assert card_of(fresh).face_auth
    r = b.post_form(
        page, action, {"to": "pin", "juki_pin": "2468", "kenmen_pin": "1357", "auth_pin": "9753"}
    )
    assert "通常のカードに戻し" in r.text
    card = card_of(fresh)
    assert not card.face_auth and card.remarks == ("顔認証",)  # the remark stays (our reading)
    api = JpkiCard(fresh.card_side.load(card.id))
    api.verify(PinKind.JUKI, "2468")
    api.verify(PinKind.AUTH, "9753")
    assert not api.pin_is_set(PinKind.SIGN)  # the sign password comes with a sign certificate


def test_r_face_1_a_face_auth_card_takes_id_documents_not_a_pin(fresh: Container) -> None:
    """The demo's 顔認 たかし: the 住基 PIN cannot stand for ID at the counter."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "顔認"), "P1")
    r = record(b, case_id, visit="1", items=["card", "holder_pin"], juki_pin="1234")
    assert 'data-code="face_auth_no_pin"' in r.text and "本人確認書類" in r.text


def test_r_face_1_a_face_auth_card_gets_its_auth_certificate_without_a_pin(
    fresh: Container,
) -> None:
    """ID documents instead of a PIN; the auth key proves possession under a PIN that exists
    only during the issuance; no `sign` certificate; the card keeps no PIN."""
    b = browser(fresh)
    b.login("clerk")
    case_id = open_case(b, resident_id(fresh, "顔認"), "P1")
    record(b, case_id, visit="1", items=["card", "holder_id"], holder_documents=["passport"])
    page = b.get(f"/staff/cases/{case_id}").text
    assert 'data-testid="face-auth-issue"' in page and 'id="auth_pin"' not in page
    assert 'id="sign_password"' not in page
    # the card keeps a valid auth certificate: a new issuance replaces it only when chosen
    r = b.post_form(
        f"/staff/cases/{case_id}",
        f"/staff/cases/{case_id}/issue",
        {"kinds_offered": "1", "kinds": "auth"},
    )
    assert "電子証明書を発行しました" in r.text, r.text[:600]
    with fresh.uow() as uow:
        (resident,) = uow.counter.find_residents(name="顔認")
        (card,) = uow.counter.cards_of(resident.id)
        good = [r for r in uow.pki.certificates_of_card(card.id) if r.status is CertStatus.GOOD]
    assert [r.kind for r in good] == [CertKind.AUTH]
    api = JpkiCard(fresh.card_side.load(card.id))
    assert not any(api.pin_is_set(pin) for pin in PinKind)
