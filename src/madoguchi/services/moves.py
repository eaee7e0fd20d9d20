"""Moves between municipalities at the counter (issue 17, R-NAT-3): 転出 and 転入.

The move-out is a registry event (services/registry.py): it revokes the ``sign`` certificate
(R-REV-1) and tells the CA the planned date. The move-in here registers the resident and the
card they carried in — the same card, its ``auth`` certificate still good — in one
transaction: the CA makes this municipality the card's current one and answers the card's
certificates, which the counter records as the registration authority's copies. The new
``sign`` certificate is issued afterwards at the counter (P1, the clerk choosing ``sign``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.services.audit import Actor
from madoguchi.services.domain import Card, CardStatus, Refused, Resident
from madoguchi.services.holders import holder_record, tell_every_holder
from madoguchi.services.ports import Clock, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority
from madoguchi.services.registry import Change, EventOutcome, RegistryService


class CardCarrier(Protocol):
    def carry_in(self, path: Path) -> str: ...


@dataclass(frozen=True, slots=True)
class MovedIn:
    resident: Resident
    card: Card
    certificates: tuple[CertRecord, ...]


class Moves:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        ca: CertificateAuthority,
        registry: RegistryService,
        vault: CardCarrier,
    ) -> None:
        self.uow_factory, self.clock, self.ca = uow_factory, clock, ca
        self.registry, self.vault = registry, vault

    def move_out(self, resident_id: str, planned: date, actor: Actor) -> EventOutcome:
        """転出: the sign certificate revoked, the CA told of the planned date."""
        return self.registry.apply(
            resident_id, RegistryEvent.MOVE_OUT, actor, Change(planned_move_out=planned)
        )

    def move_in(
        self,
        resident: Resident,
        card_id: str,
        card_expires: date,
        actor: Actor,
        *,
        card_file: Path | None = None,
    ) -> MovedIn:
        """転入 with the card kept (R-NAT-3): the resident, the card and its certificates."""
        if card_file is not None and self.vault.carry_in(card_file) != card_id:
            raise Refused("card_file_mismatch", f"{card_file} is not card {card_id}")
        with self.uow_factory() as uow:
            if uow.counter.card(card_id) is not None:
                raise Refused("card_known", f"card {card_id} is already registered here")
            resident = self.registry.register(uow, resident, actor)
            card = Card(
                card_id, resident.id, jst_date(self.clock()), card_expires, CardStatus.ACTIVE
            )
            holder = holder_record(resident, card, self.ca.municipality)
            records = self.ca.claim_move_in_in(uow, card_id, holder)
            uow.counter.add_card(card)
            uow.counter.append_audit(
                at=self.clock(),
                clerk=actor.clerk,
                office=actor.office,
                terminal=actor.terminal,
                action="resident.move_in",
                resident_id=resident.id,
                detail={
                    "card_id": card_id,
                    "certificates": [f"{r.kind.value}:{r.serial_hex}" for r in records],
                },
            )
            uow.commit()
        return MovedIn(resident, card, tuple(records))

    def tell_ca(self) -> tuple[int, int]:
        """Tell a CA service the holder of every card it issued onto (`madoguchi registry
        tell-ca`, R-NAT-2): (residents, cards told)."""
        return tell_every_holder(self.ca, self.uow_factory)
