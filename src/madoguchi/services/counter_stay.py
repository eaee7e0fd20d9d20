"""Foreign residents' cards at the counter (SPEC.md §10: R-CARD-2, R-CARD-3, R-CARD-4).

The validity change (有効期間変更) moves the card's expiry to the new end of stay shown on the
residence card; when the holder or a legal representative applies, both certificates are
renewed at the same visit (a renewal case opens at once, whatever the renewal window: the
card's validity changed today). The special extension (特例期間延長) moves it once, by the
Civil Code's two months, while a renewal of the stay is pending. Each is one transaction
with its audit entry; the rules decide (madoguchi.rules.stay)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from madoguchi.rules.stay import (
    StayApplicant,
    StayChange,
    special_extension,
    validity_change,
)
from madoguchi.services.audit import Actor
from madoguchi.services.counter_base import CounterBase
from madoguchi.services.domain import Card, Refused, Resident, ResidentStatus
from madoguchi.services.holders import tell_holders
from madoguchi.services.ports import UnitOfWork
from madoguchi.services.registry import active_card


def allowed_expiry(change: StayChange) -> date:
    """The new expiry of an allowed change; a refusal with the rules' reason otherwise."""
    if not change.allowed or change.new_expiry is None:
        reason = change.reason
        assert reason is not None
        raise Refused(f"stay_{reason.value}", reason.message)
    return change.new_expiry


@dataclass(frozen=True, slots=True)
class StayOutcome:
    """The card after a validity change or special extension, and whether its certificates
    are renewed at the same visit."""

    card: Card
    change: StayChange
    old_expiry: date


class CounterStay(CounterBase):
    def _stay_card(self, uow: UnitOfWork, resident_id: str) -> tuple[Resident, Card]:
        resident = self._resident(uow, resident_id)
        if resident.status is not ResidentStatus.RESIDENT:
            raise Refused("not_resident", f"resident status is {resident.status.value}")
        if resident.nationality != "foreign" or resident.stay_until is None:
            raise Refused("no_stay_holder", "the holder has no period of stay (R-CARD-2)")
        card = active_card(uow, resident_id)
        if card is None:
            raise Refused("no_card", "the resident has no usable card")
        locked = uow.counter.card(card.id, for_update=True)
        assert locked is not None
        return resident, locked

    def _new_expiry(
        self,
        uow: UnitOfWork,
        actor: Actor,
        card: Card,
        change: StayChange,
        action: str,
        detail: dict[str, object],
        *,
        extension_used: bool,
        validity_changed_on: date | None = None,
    ) -> Card:
        """The card's expiry as ``change`` allows, audited as ``action``; a CA service is
        told the card's new expiry (R-NAT-2)."""
        new_expiry = allowed_expiry(change)
        updated = uow.counter.update_card(
            replace(
                card,
                expires=new_expiry,
                limited_by_stay=change.limited_by_stay,
                extension_used=extension_used,
                validity_changed_on=validity_changed_on or card.validity_changed_on,
            )
        )
        self._audit(
            uow,
            actor,
            action,
            resident_id=card.resident_id,
            detail={
                "card": card.id,
                "from": card.expires.isoformat(),
                "to": new_expiry.isoformat(),
                **detail,
            },
        )
        tell_holders(self.ca, uow, card.resident_id)
        return updated

    def change_card_validity(
        self,
        resident_id: str,
        *,
        new_stay_until: date,
        applicant: StayApplicant,
        actor: Actor,
    ) -> StayOutcome:
        """R-CARD-3: the card's expiry becomes the new end of stay (capped by R-CARD-1's
        birthday rule); refused after the card expired. The registry records the new end of
        stay; the special extension may be used again for the new period (our reading)."""
        with self.refusals_logged(actor, resident_id=resident_id):
            self._check_office(actor)
            today = self._today()
            with self.uow_factory() as uow:
                resident, card = self._stay_card(uow, resident_id)
                change = validity_change(
                    birth=resident.birth,
                    created=card.created,
                    card_expires=card.expires,
                    on=today,
                    new_stay_until=new_stay_until,
                    applicant=applicant,
                )
                uow.counter.update_resident(replace(resident, stay_until=new_stay_until))
                updated = self._new_expiry(
                    uow,
                    actor,
                    card,
                    change,
                    "card.validity_change",
                    {
                        "applicant": StayApplicant(applicant).value,
                        "renew_certificates": change.renew_certificates,
                    },
                    validity_changed_on=today,
                    extension_used=False,
                )
                uow.commit()
            return StayOutcome(updated, change, card.expires)

    def extend_card_specially(self, resident_id: str, *, actor: Actor) -> StayOutcome:
        """R-CARD-4: once, while the card is valid and a renewal of the stay is pending, the
        expiry moves to the end of two months counted from the day after it."""
        with self.refusals_logged(actor, resident_id=resident_id):
            self._check_office(actor)
            today = self._today()
            with self.uow_factory() as uow:
                resident, card = self._stay_card(uow, resident_id)
                change = special_extension(
                    birth=resident.birth,
                    created=card.created,
                    card_expires=card.expires,
                    on=today,
                    extended_before=card.extension_used,
                )
                updated = self._new_expiry(
                    uow, actor, card, change, "card.special_extension", {}, extension_used=True
                )
                uow.commit()
            return StayOutcome(updated, change, card.expires)
