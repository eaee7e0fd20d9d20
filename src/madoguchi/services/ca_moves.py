"""Moves between municipalities at the CA (issue 17, R-NAT-3, R-REV-2).

A move keeps the card. The old municipality's counter revokes the ``sign`` certificate (an
ordinary revocation, R-REV-1) and tells the CA of the move-out with its planned date; the new
municipality's counter claims the card at its move-in, and the CA records it as the card's
current municipality — from then on only that municipality may hold or revoke the card's
certificates (rules/municipality.py). The CA runs the 30-day rule itself, from the move-outs it
was told of (`madoguchi ca run-deadlines`, daily): no move-in within 30 days of the planned
date revokes the ``auth`` certificate, asked by the CA operator.

Each method is one transaction on the CA's store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import (
    CertStatus,
    RevocationReason,
    StatusChange,
    move_in_deadline,
    move_in_overdue,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from madoguchi.services.domain import NotFound, Refused
from madoguchi.services.ports import CardResidence, HolderRecord, ReadOnlyUnitOfWork

log = logging.getLogger("madoguchi.ca_moves")


def current_municipality(uow: ReadOnlyUnitOfWork, card_id: str) -> tuple[str | None, bool]:
    """The card's current municipality at the CA, and whether a move-in told it (else: the
    municipality that issued on the card last)."""
    residence = uow.pki.card_residence(card_id)
    if residence is not None and residence.municipality is not None:
        return residence.municipality, True
    issued = [r.municipality for r in uow.pki.certificates_of_card(card_id) if r.municipality]
    return (issued[-1] if issued else None), False


@dataclass(frozen=True, slots=True)
class Lapsed:
    """A card whose move-in did not come: its ``auth`` certificates revoked (R-REV-2)."""

    residence: CardResidence
    revoked: tuple[CertRecord, ...]


class CaMoves:
    def __init__(self, ca: CaService) -> None:
        self.ca = ca

    def move_out(self, municipality: str, card_id: str, planned: date) -> CardResidence:
        """``municipality`` tells the CA that the card's holder moves out on ``planned``."""
        with self.ca.uow_factory() as uow:
            if not uow.pki.certificates_of_card(card_id):
                raise NotFound("card_unknown_at_ca", f"the CA issued nothing onto card {card_id}")
            now_at, _ = current_municipality(uow, card_id)
            if now_at != municipality:
                raise Refused(
                    "not_your_card", f"card {card_id} is not a resident's of {municipality}"
                )
            before = uow.pki.card_residence(card_id, for_update=True)
            residence = CardResidence(
                card_id,
                before.municipality if before is not None else None,
                municipality,
                planned,
                self.ca.clock(),
                None,
                None,
            )
            uow.pki.put_card_residence(residence)
            uow.commit()
        log.info("card %s: move-out from %s planned %s", card_id, municipality, planned)
        return residence

    def move_in(
        self, municipality: str, card_id: str, holder: HolderRecord | None = None
    ) -> list[CertRecord]:
        """``municipality`` registers a card that moved in: it becomes the card's current
        municipality (and ``holder`` the CA's record of the holder, R-NAT-2); the answer is
        the card's certificates."""
        with self.ca.uow_factory() as uow:
            residence = uow.pki.card_residence(card_id, for_update=True)
            if residence is None or residence.moved_out_from is None:
                raise Refused("no_move_out", f"no move-out was told of card {card_id}")
            if residence.lapsed_at is not None:
                raise Refused("move_in_too_late", f"card {card_id} lapsed: no move-in in time")
            if residence.moved_in_at is not None:
                if residence.municipality != municipality:
                    raise Refused("already_moved_in", f"card {card_id} moved in elsewhere")
            else:
                residence = replace(
                    residence, municipality=municipality, moved_in_at=self.ca.clock()
                )
                uow.pki.put_card_residence(residence)
            if holder is not None:
                uow.pki.put_holder(replace(holder, card_id=card_id, updated_at=self.ca.clock()))
            records = uow.pki.certificates_of_card(card_id)
            uow.commit()
        log.info("card %s: moved in at %s from %s", card_id, municipality, residence.moved_out_from)
        return records

    def current(self, card_id: str) -> str | None:
        """The card's current municipality at the CA."""
        with self.ca.uow_factory.read_only() as uow:
            return current_municipality(uow, card_id)[0]

    def residence(self, card_id: str) -> CardResidence | None:
        with self.ca.uow_factory.read_only() as uow:
            return uow.pki.card_residence(card_id)

    def run_deadlines(self, today: date | None = None) -> list[Lapsed]:
        """R-REV-2 (daily): revoke the ``auth`` certificate of every card moved out whose
        move-in did not come within 30 days of the planned date; asked by the CA operator."""
        today = today or jst_date(self.ca.clock())
        with self.ca.uow_factory.read_only() as uow:
            due = [
                r.card_id
                for r in uow.pki.residences_awaiting_move_in()
                if r.planned_move_out is not None
                and move_in_overdue(r.planned_move_out, today, moved_in=False)
            ]
        lapsed = []
        for card_id in due:
            with self.ca.uow_factory() as uow:
                residence = uow.pki.card_residence(card_id, for_update=True)
                if residence is None or not residence.awaiting_move_in:
                    continue  # moved in meanwhile
                now = self.ca.clock()
                revoked = [
                    self.ca.change_status_in(
                        uow,
                        rec.kind,
                        rec.serial,
                        StatusChange.REVOKE,
                        RevocationReason.CESSATION_OF_OPERATION,
                    )
                    for rec in uow.pki.certificates_of_card(card_id)
                    if rec.kind is CertKind.AUTH
                    and rec.status is not CertStatus.REVOKED
                    and rec.not_after > now
                ]
                residence = replace(residence, lapsed_at=now)
                uow.pki.put_card_residence(residence)
                uow.commit()
            assert residence.planned_move_out is not None
            log.info(
                "card %s: no move-in by %s: auth revoked (%d)",
                card_id,
                move_in_deadline(residence.planned_move_out),
                len(revoked),
            )
            lapsed.append(Lapsed(residence, tuple(revoked)))
        return lapsed
