"""What a municipality's counter tells the CA of its residents' cards (issue 17, R-NAT-2).

The CA operator sends the expiry notices, nationally. It plans them from, and checks them at
dispatch against, its own records: the certificates it signed, and a record of each card's
holder — name, postal code and address, the card's expiry and state — that the card's
municipality keeps current: with each issuance order, after each registry change, at a
move-in and at a change of the card's validity. A CA in the counter's own process (the
embedded default) needs none of it: there the notices are planned from the residents.
"""

from __future__ import annotations

import logging

from madoguchi.services.domain import Card, Refused, Resident
from madoguchi.services.ports import HolderRecord, ReadOnlyUnitOfWork, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority

log = logging.getLogger("madoguchi.holders")


def holder_record(resident: Resident, card: Card, municipality: str) -> HolderRecord:
    """The CA's record of ``card``'s holder as this counter's registry has it now."""
    return HolderRecord(
        card_id=card.id,
        municipality=municipality,
        resident_ref=resident.id,
        name=resident.name,
        postal_code=resident.postal_code,
        address=resident.address,
        card_expires=card.expires,
        limited_by_stay=card.limited_by_stay,
        resident_status=resident.status.value,
        card_status=card.status.value,
    )


def tell_holders(ca: CertificateAuthority, uow: ReadOnlyUnitOfWork, resident_id: str) -> int:
    """Tell a CA service the holder of each of the resident's cards it issued onto, as the
    caller's unit of work has them (before its commit: a CA that cannot be reached fails the
    change, as a revocation does). A card that moved in elsewhere meanwhile is that
    municipality's to tell (``not_your_card``: skipped). Returns how many were told."""
    if not ca.separate_store:
        return 0
    resident = uow.counter.resident(resident_id)
    if resident is None:
        return 0
    told = 0
    for card in uow.counter.cards_of(resident_id):
        if not uow.pki.certificates_of_card(card.id):
            continue  # the CA knows nothing of this card
        try:
            ca.tell_holder(holder_record(resident, card, ca.municipality))
        except Refused as exc:
            if exc.code != "not_your_card":
                raise
            log.info("card %s is another municipality's now: holder not told", card.id)
            continue
        told += 1
    return told


def tell_every_holder(ca: CertificateAuthority, uow_factory: UowFactory) -> tuple[int, int]:
    """Tell a CA service the holder of every card of this counter it issued onto (`madoguchi
    registry tell-ca`: once after an upgrade to migration 0014, whose CA had no holders yet;
    idempotent). Returns (residents, cards told)."""
    if not ca.separate_store:
        return 0, 0
    with uow_factory.read_only() as uow:
        ids = uow.counter.residents_with_certificates()
    told = 0
    for resident_id in ids:
        with uow_factory.read_only() as uow:
            told += tell_holders(ca, uow, resident_id)
    return len(ids), told
