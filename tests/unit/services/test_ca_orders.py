"""The CA's issuance orders (issue 17): the municipality is recorded with each certificate
and status change; a repeated idempotency key answers the same certificates, and a key
reused for another order (other keys, another municipality) is refused."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.pki.facts import HolderFacts
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.cardside import prepare_card
from madoguchi.services.domain import Refused
from madoguchi.services.ports import IssueOrder, IssueRequest
from tests.unit.services.world import World

ISSUER = bytes(range(32, 64))
FACTS = HolderFacts.create("帯広 太郎", "1", date(1980, 7, 1), "北海道帯広市西5条南7丁目1番地")


def _order(municipality: str, key: str) -> IssueOrder:
    card = VirtualCard.new(ISSUER)
    kinds = [CertKind.AUTH, CertKind.SIGN]
    proofs = prepare_card(
        JpkiCard(card), ISSUER, kinds, {CertKind.AUTH: "3333", CertKind.SIGN: "ABC123"}
    )
    requests = tuple(
        IssueRequest(
            kind,
            proofs[kind].spki,
            proofs[kind].challenge,
            proofs[kind].signature,
            date(2031, 7, 1),
            FACTS,
            card.card_id,
        )
        for kind in kinds
    )
    return IssueOrder(requests, municipality, key)


def test_a_repeated_key_answers_the_same_certificates(w: World) -> None:
    order = _order("012076", uuid.uuid4().hex)
    with w.uow() as uow:
        first = w.ca.issue_order_in(uow, order)
        uow.commit()
    with w.uow() as uow:
        again = w.ca.issue_order_in(uow, order)
        uow.commit()
    assert [r.serial for r in again] == [r.serial for r in first]
    assert {r.municipality for r in first} == {"012076"}
    with w.uow.read_only() as uow:  # recorded, and nothing signed twice
        card = first[0].card_id
        assert card is not None
        assert len(uow.pki.certificates_of_card(card)) == 2
        stored = uow.pki.certificate(CertKind.SIGN, first[1].serial)
        assert stored is not None and stored.municipality == "012076"


@pytest.mark.parametrize("other_municipality", [False, True])
def test_a_key_reused_for_another_order_is_refused(w: World, other_municipality: bool) -> None:
    key = uuid.uuid4().hex
    first = _order("012076", key)
    with w.uow() as uow:
        w.ca.issue_order_in(uow, first)
        uow.commit()
    # the same card keys asked by another municipality, or other card keys
    other = (
        IssueOrder(first.requests, "011002", key) if other_municipality else _order("012076", key)
    )
    with w.uow() as uow, pytest.raises(Refused) as refused:
        w.ca.issue_order_in(uow, other)
    assert refused.value.code == "idempotency_key_reused"


def test_a_status_change_records_who_asked(w: World) -> None:
    with w.uow() as uow:
        records = w.ca.issue_order_in(uow, _order("012076", uuid.uuid4().hex))
        uow.commit()
    sign = next(r for r in records if r.kind is CertKind.SIGN)
    with w.uow() as uow:
        changed = w.ca.change_status_in(
            uow,
            CertKind.SIGN,
            sign.serial,
            StatusChange.REVOKE,
            RevocationReason.AFFILIATION_CHANGED,
            municipality="011002",
        )
        uow.commit()
    assert changed.status_municipality == "011002"
    assert changed.municipality == "012076"
