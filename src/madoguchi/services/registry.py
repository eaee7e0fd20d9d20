"""Registry changes (住民基本台帳の異動) and card events, with their revocations (R-REV).

Each change is one transaction: the registry row, the revocations or holds that
:func:`madoguchi.rules.revocation.revocation_for` decides, the re-signed OCSP answers, and
the audit entry. Nothing else needs to happen for OCSP to answer `revoked` at once.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime

from madoguchi.pki.facts import HolderFacts, normalize_text
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import (
    CertStatus,
    RegistryEvent,
    RevocationReason,
    StatusChange,
    move_in_overdue,
    revocation_for,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.domain import Card, CardStatus, NotFound, Refused, Resident, ResidentStatus
from madoguchi.services.holders import tell_holders
from madoguchi.services.ports import Clock, ReadOnlyUnitOfWork, UnitOfWork, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority

_FACT_EVENTS = {
    RegistryEvent.NAME,
    RegistryEvent.ADDRESS,
    RegistryEvent.BIRTH,
    RegistryEvent.GENDER,
    RegistryEvent.MINOR_ADDRESS,
    RegistryEvent.MINOR_NAME,
}
_CARD_STATUS = {
    RegistryEvent.LOST: CardStatus.LOST,
    RegistryEvent.RETURNED: CardStatus.RETURNED,
    RegistryEvent.REPLACED: CardStatus.REPLACED,
}


_POSTAL_CODE = re.compile(r"(\d{3})-?(\d{4})")


def normalize_postal_code(text: str) -> str:
    """A postal code as the letters print it, 080-0015 (full-width digits and the hyphen are
    folded, ``0800015`` gets its hyphen); "" stays "" (the registry may have none);
    Refused('bad_postal_code') for anything else."""
    folded = unicodedata.normalize("NFKC", text).strip().replace("〒", "").replace("ー", "-")
    if not folded:
        return ""
    m = _POSTAL_CODE.fullmatch(folded)
    if m is None:
        raise Refused("bad_postal_code", f"not a postal code: {text!r}")
    return f"{m[1]}-{m[2]}"


def new_resident_id() -> str:
    return "R" + secrets.token_hex(8).upper()


@dataclass(frozen=True, slots=True)
class Change:
    """New values for the facts an event changes (None: unchanged)."""

    name: str | None = None
    name_kana: str | None = None
    address: str | None = None
    postal_code: str | None = None  # with a new address; "" clears it
    birth: date | None = None
    gender: str | None = None
    planned_move_out: date | None = None


@dataclass(frozen=True, slots=True)
class EventOutcome:
    resident: Resident
    revoked: tuple[CertRecord, ...]
    held: tuple[CertRecord, ...]


class RegistryService:
    def __init__(self, uow_factory: UowFactory, clock: Clock, ca: CertificateAuthority) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.ca = ca

    def facts(self, resident: Resident) -> HolderFacts:
        return HolderFacts.create(resident.name, resident.gender, resident.birth, resident.address)

    def register(self, uow: UnitOfWork, resident: Resident, actor: Actor) -> Resident:
        r = replace(
            resident,
            name=normalize_text(resident.name),
            name_kana=normalize_text(resident.name_kana),
            address=normalize_text(resident.address),
            postal_code=normalize_postal_code(resident.postal_code),
        )
        uow.counter.add_resident(r)
        uow.counter.append_audit(
            at=self.clock(),
            clerk=actor.clerk,
            office=actor.office,
            terminal=actor.terminal,
            action="resident.register",
            resident_id=r.id,
        )
        return r

    def apply(
        self, resident_id: str, event: RegistryEvent, actor: Actor, change: Change = Change()
    ) -> EventOutcome:
        """Record ``event`` and revoke or hold per R-REV in the same transaction."""
        with self.uow_factory() as uow:
            outcome = self.apply_in(uow, resident_id, event, actor, change)
            uow.commit()
        return outcome

    def apply_in(
        self,
        uow: UnitOfWork,
        resident_id: str,
        event: RegistryEvent,
        actor: Actor,
        change: Change = Change(),
    ) -> EventOutcome:
        event = RegistryEvent(event)
        resident = uow.counter.resident(resident_id, for_update=True)
        if resident is None:
            raise NotFound("unknown_resident", f"no resident {resident_id}")
        now = self.clock()
        resident = self._changed(resident, event, change, now)
        resident = uow.counter.update_resident(resident)
        decision = revocation_for(event)
        reason = decision.reason or RevocationReason.UNSPECIFIED
        revoked: list[CertRecord] = []
        held: list[CertRecord] = []
        if event is RegistryEvent.MOVE_OUT and resident.planned_move_out is not None:
            # R-NAT-3: the CA awaits a move-in; told before the revocation, so that a failure
            # of either leaves nothing to undo at the CA but a notice told again on retry
            for card in uow.counter.cards_of(resident.id):
                if card.status is CardStatus.ACTIVE and uow.pki.certificates_of_card(card.id):
                    self.ca.notify_move_out(card.id, resident.planned_move_out)
        for card in uow.counter.cards_of(resident.id):
            if event in _CARD_STATUS and card.status is CardStatus.ACTIVE:
                uow.counter.update_card(replace(card, status=_CARD_STATUS[event]))
            elif event is RegistryEvent.FOUND and card.status is CardStatus.LOST:
                # R-REV-3: found, its certificates revoked below; the card itself is usable
                # again, for a new issuance on the same card (P1/P2)
                uow.counter.update_card(replace(card, status=CardStatus.ACTIVE))
            for record in uow.pki.certificates_of_card(card.id):
                if record.not_after < now:
                    continue
                if decision.spares_abroad_sign and record.serial_hex == card.abroad_sign_serial:
                    continue  # R-ABROAD-2: the 国外転出者向け sign certificate survives
                if record.kind in decision.hold and record.status is CertStatus.GOOD:
                    held.append(
                        self.ca.change_status_in(
                            uow, record.kind, record.serial, StatusChange.HOLD, reason
                        )
                    )
                elif record.kind in decision.revoke and record.status is not CertStatus.REVOKED:
                    revoked.append(
                        self.ca.change_status_in(
                            uow, record.kind, record.serial, StatusChange.REVOKE, reason
                        )
                    )
        tell_holders(self.ca, uow, resident.id)  # R-NAT-2: the CA operator's notices
        uow.counter.append_audit(
            at=now,
            clerk=actor.clerk,
            office=actor.office,
            terminal=actor.terminal,
            action=f"registry.{event.value}",
            resident_id=resident.id,
            detail={
                "revoked": [f"{r.kind.value}:{r.serial_hex}" for r in revoked],
                "held": [f"{r.kind.value}:{r.serial_hex}" for r in held],
            },
        )
        return EventOutcome(resident, tuple(revoked), tuple(held))

    def _changed(
        self, r: Resident, event: RegistryEvent, change: Change, now: datetime
    ) -> Resident:
        if event in _FACT_EVENTS:
            r = replace(
                r,
                name=normalize_text(change.name) if change.name else r.name,
                name_kana=normalize_text(change.name_kana) if change.name_kana else r.name_kana,
                address=normalize_text(change.address) if change.address else r.address,
                postal_code=(
                    normalize_postal_code(change.postal_code)
                    if change.postal_code is not None
                    else r.postal_code
                ),
                birth=change.birth or r.birth,
                gender=change.gender or r.gender,
                changed_at=now,
            )
        elif event is RegistryEvent.DEATH:
            r = replace(r, status=ResidentStatus.DECEASED, changed_at=now)
        elif event is RegistryEvent.MOVE_OUT:
            planned = change.planned_move_out or jst_date(now)
            r = replace(
                r, status=ResidentStatus.MOVED_OUT, planned_move_out=planned, changed_at=now
            )
        elif event in (RegistryEvent.MOVE_ABROAD, RegistryEvent.MOVE_ABROAD_CONTINUE):
            planned = change.planned_move_out or r.moved_abroad_on or jst_date(now)
            r = replace(
                r,
                status=ResidentStatus.MOVED_OUT,
                planned_move_out=planned,
                moved_abroad_on=planned,
                changed_at=now,
            )
        elif event is RegistryEvent.MOVE_OUT_NO_MOVE_IN:
            if r.status is not ResidentStatus.MOVED_OUT or r.planned_move_out is None:
                raise Refused("not_moved_out", "the resident has not moved out")
            if not move_in_overdue(r.planned_move_out, jst_date(now), moved_in=False):
                raise Refused(
                    "move_in_not_overdue", "the 30 days after the planned move-out have not passed"
                )
        return r

    def overdue_move_ins(self, actor: Actor) -> list[EventOutcome]:
        """R-REV-2 daily job: revoke `auth` where no move-in followed within 30 days.

        A counter of a CA service does not: the holder may have moved in at another
        municipality, which only the CA knows; the CA runs the rule from the move-outs it
        was told of (`madoguchi ca run-deadlines`, R-NAT-3)."""
        if self.ca.keeps_move_deadlines:
            return []
        today = jst_date(self.clock())
        with self.uow_factory.read_only() as reader:
            ids = [
                r.id
                for r in reader.counter.moved_out_by(today)
                if r.planned_move_out
                and r.moved_abroad_on is None  # R-ABROAD: no move-in is awaited from abroad
                and move_in_overdue(r.planned_move_out, today, moved_in=False)
            ]
        outcomes = []
        for resident_id in ids:
            with self.uow_factory() as uow:
                outcome = self.apply_in(uow, resident_id, RegistryEvent.MOVE_OUT_NO_MOVE_IN, actor)
                if outcome.revoked:
                    uow.commit()
                    outcomes.append(outcome)
        return outcomes


def active_card(uow: ReadOnlyUnitOfWork, resident_id: str) -> Card | None:
    """The resident's newest card in use (not lost, returned or replaced)."""
    cards = [c for c in uow.counter.cards_of(resident_id) if c.status is CardStatus.ACTIVE]
    return cards[-1] if cards else None


def current_certificates(uow: ReadOnlyUnitOfWork, card_id: str) -> dict[CertKind, CertRecord]:
    """The newest non-revoked certificate of each kind on a card."""
    out: dict[CertKind, CertRecord] = {}
    for rec in uow.pki.certificates_of_card(card_id):
        if rec.status is not CertStatus.REVOKED:
            out[rec.kind] = rec
    return out
