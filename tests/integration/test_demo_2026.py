"""The demo's residents of issue 16, one per new case: R-X509-2 (a name with 髙), R-CARD-2 (a
foreign resident whose stay ends next month), R-ABROAD-1 (about to move abroad), R-ABROAD-2
(abroad with a continued card), R-FACE-1 (a face-authentication card)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from madoguchi.bootstrap import Container
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CardStatus, ResidentStatus
from tests.support.web import demo_container


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Container:
    return demo_container(tmp_path_factory.mktemp("demo2026") / "data")


def person(c: Container, name: str):  # type: ignore[no-untyped-def]
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=name)
        card = uow.counter.cards_of(resident.id)[-1]
        certs = {r.kind: r for r in uow.pki.certificates_of_card(card.id)}
    return resident, card, certs


def test_r_x509_2_the_demo_has_a_name_with_a_substitute(demo: Container) -> None:
    resident, _, certs = person(demo, "髙橋")
    assert resident.name.startswith("髙橋") and CertKind.SIGN in certs


def test_r_card_2_a_foreign_resident_whose_stay_ends_next_month(demo: Container) -> None:
    today = jst_date(demo.clock())
    resident, card, _ = person(demo, "NGUYEN")
    assert resident.nationality == "foreign" and card.limited_by_stay
    assert today + timedelta(days=28) <= card.expires <= today + timedelta(days=62)


def test_r_abroad_1_about_to_move_abroad_with_continued_use(demo: Container) -> None:
    today = jst_date(demo.clock())
    resident, card, certs = person(demo, "旅立")
    assert resident.status is ResidentStatus.RESIDENT
    assert resident.moved_abroad_on is not None and resident.moved_abroad_on > today
    assert card.abroad_since == resident.moved_abroad_on
    assert certs[CertKind.SIGN].status is CertStatus.GOOD


def test_r_abroad_2_abroad_with_a_continued_card(demo: Container) -> None:
    resident, card, certs = person(demo, "海外")
    assert resident.status is ResidentStatus.MOVED_OUT and card.status is CardStatus.ACTIVE
    assert card.remarks and card.remarks[-1].startswith("国外転出")
    assert certs[CertKind.AUTH].status is CertStatus.GOOD
    assert certs[CertKind.SIGN].status is CertStatus.REVOKED


def test_r_face_1_a_face_authentication_card(demo: Container) -> None:
    _, card, certs = person(demo, "顔認")
    assert card.face_auth and card.remarks == ("顔認証",)
    assert certs[CertKind.SIGN].status is CertStatus.REVOKED
    assert certs[CertKind.AUTH].status is CertStatus.GOOD
