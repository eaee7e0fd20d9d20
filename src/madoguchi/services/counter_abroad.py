"""Moving abroad with the card (SPEC.md §10: R-ABROAD-1, R-ABROAD-2, R-ABROAD-3).

The move-out notice (国外転出届) is recorded before the move, with or without continued use
(国外継続利用, Japanese nationals only, no later than the day before the move-out date); the
move itself is recorded on or after the move-out date: the registry event revokes what R-REV
says (with continued use the domestic `sign` certificate, sparing a 国外転出者向け one; without
it both, and the card lapses), and the card's remarks record 国外転出 and the date. The
国外転出者向け signing certificate is a P1 (or, for another proxy before the move-out, a P2)
case marked ``abroad_sign``: its address is the one the 戸籍の附票 records."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from madoguchi.rules.abroad import (
    AbroadApplicant,
    AbroadSignRoute,
    Nationality,
    abroad_sign_allowed,
    continued_use_allowed,
)
from madoguchi.rules.dates import format_japanese
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.services.audit import Actor
from madoguchi.services.counter_base import CounterBase
from madoguchi.services.domain import Card, CardStatus, Refused, Resident, ResidentStatus
from madoguchi.services.ports import ReadOnlyUnitOfWork, UnitOfWork
from madoguchi.services.registry import Change, active_card

#: R-ABROAD-1: what the card's remarks field records (国外転出 and the date)
ABROAD_REMARK = "国外転出（{day}）"


def abroad_remark(move_out: date) -> str:
    return ABROAD_REMARK.format(day=format_japanese(move_out))


def _refused(reason: object) -> Refused:
    code = getattr(reason, "value", "abroad_refused")
    return Refused(f"abroad_{code}", getattr(reason, "message", code))


class CounterAbroad(CounterBase):
    def _abroad_card(self, uow: ReadOnlyUnitOfWork, resident_id: str) -> Card:
        card = active_card(uow, resident_id)
        if card is None:
            raise Refused("no_card", "the resident has no usable card")
        return card

    def notify_move_abroad(
        self,
        resident_id: str,
        *,
        move_out: date,
        continued: bool,
        destination: str,
        actor: Actor,
    ) -> Resident:
        """R-ABROAD-1: the move-out notice abroad; continued use asked for with it (Japanese
        nationals, no later than the day before ``move_out``). ``destination`` is what the
        戸籍の附票 records after the move (the country). A notice on or after the move-out date
        records the move at once."""
        with self.refusals_logged(actor, resident_id=resident_id):
            self._check_office(actor)
            today = self._today()
            with self.uow_factory() as uow:
                resident = uow.counter.resident(resident_id, for_update=True)
                if resident is None or resident.status is not ResidentStatus.RESIDENT:
                    raise Refused("not_resident", "only a resident moves abroad")
                card = self._abroad_card(uow, resident_id)
                if continued:
                    verdict = continued_use_allowed(
                        Nationality(resident.nationality), move_out=move_out, on=today
                    )
                    if not verdict.allowed:
                        raise _refused(verdict.reason)
                    uow.counter.update_card(replace(card, abroad_since=move_out))
                resident = uow.counter.update_resident(
                    replace(
                        resident,
                        moved_abroad_on=move_out,
                        fuhyo_address=destination.strip()[:200] or resident.fuhyo_address,
                    )
                )
                self._audit(
                    uow,
                    actor,
                    "registry.move_abroad_notice",
                    resident_id=resident_id,
                    detail={"move_out": move_out.isoformat(), "continued": continued},
                )
                if move_out <= today:
                    resident = self._record_move(uow, resident_id, actor)
                uow.commit()
            return resident

    def record_move_abroad(self, resident_id: str, *, actor: Actor) -> Resident:
        """R-ABROAD-2: the move abroad takes effect (on or after the move-out date)."""
        with self.refusals_logged(actor, resident_id=resident_id):
            self._check_office(actor)
            with self.uow_factory() as uow:
                resident = self._record_move(uow, resident_id, actor)
                uow.commit()
            return resident

    def _record_move(self, uow: UnitOfWork, resident_id: str, actor: Actor) -> Resident:
        resident = self._resident(uow, resident_id)
        move_out = resident.moved_abroad_on
        if move_out is None or resident.status is not ResidentStatus.RESIDENT:
            raise Refused("no_move_abroad_notice", "no move-out notice abroad is pending")
        if self._today() < move_out:
            raise Refused("move_abroad_not_yet", "the move-out date has not come")
        card = self._abroad_card(uow, resident_id)
        continued = card.abroad_since is not None
        event = RegistryEvent.MOVE_ABROAD_CONTINUE if continued else RegistryEvent.MOVE_ABROAD
        outcome = self.registry.apply_in(
            uow, resident_id, event, actor, Change(planned_move_out=move_out)
        )
        card = uow.counter.card(card.id, for_update=True) or card
        uow.counter.update_card(
            replace(
                card,
                status=card.status if continued else CardStatus.LAPSED,
                remarks=(*card.remarks, abroad_remark(move_out)),
            )
        )
        return outcome.resident

    def abroad_sign_case_kind(self, resident_id: str, applicant: AbroadApplicant) -> str:
        """R-ABROAD-3: may ``applicant`` apply today for the 国外転出者向け sign certificate,
        and through which procedure (P1 in person or the same day with the power of attorney,
        P2 with the inquiry letter, ending before the move-out date)."""
        with self.uow_factory.read_only() as reader:
            resident = self._resident(reader, resident_id)
            card = self._abroad_card(reader, resident_id)
        if resident.moved_abroad_on is None:
            raise Refused("no_move_abroad_notice", "no move-out notice abroad")
        verdict = abroad_sign_allowed(
            Nationality(resident.nationality),
            move_out=resident.moved_abroad_on,
            on=self._today(),
            applicant=applicant,
            continued=card.abroad_since is not None,
        )
        if not verdict.allowed:
            raise _refused(verdict.reason)
        return "P2" if verdict.route is AbroadSignRoute.INQUIRY_LETTER else "P1"
