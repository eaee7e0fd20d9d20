"""The face-authentication card at the counter (SPEC.md §10: R-FACE-1, R-FACE-2).

To the face-authentication card (顔認証マイナンバーカード): the `sign` certificate is revoked
(``cessationOfOperation``), every PIN is cleared and the `sign` key slot emptied on the card,
「顔認証」 is written in the remarks; the `auth` certificate is kept. Back to a normal card:
the holder sets the PINs (住基, 券面, 利用者証明用) and may then get a `sign` certificate as in
P1/P3. The card's work is done in memory first, staged with the transaction and promoted
after its commit (as the issuance does, services/cardside.py)."""

from __future__ import annotations

from dataclasses import replace

from madoguchi.card.jpki import JpkiCard
from madoguchi.rules.face_auth import switch_to_face_auth, switch_to_pin_card
from madoguchi.rules.pins import PinKind
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.counter_base import CounterBase, checked_pin
from madoguchi.services.domain import Card, ConcurrentUpdate, Refused, ResidentStatus
from madoguchi.services.registry import active_card

#: R-FACE-2: the PINs the holder sets on the way back (the `sign` password comes with a
#: `sign` certificate, P1/P3)
PINS_SET_ON_THE_WAY_BACK = (PinKind.JUKI, PinKind.KENMEN, PinKind.AUTH)


class CounterFace(CounterBase):
    def _face_card(self, resident_id: str) -> Card:
        with self.uow_factory.read_only() as reader:
            resident = self._resident(reader, resident_id)
            if resident.status is not ResidentStatus.RESIDENT:
                raise Refused("not_resident", f"resident status is {resident.status.value}")
            card = active_card(reader, resident_id)
        if card is None:
            raise Refused("no_card", "the resident has no usable card")
        return card

    def switch_face_auth(
        self,
        resident_id: str,
        *,
        to_face_auth: bool,
        actor: Actor,
        pins: dict[PinKind, str] | None = None,
    ) -> Card:
        """R-FACE-1 (``to_face_auth``) or R-FACE-2 (back, with ``pins`` for 住基, 券面 and
        利用者証明用, their formats checked first, R-PIN-1); done the same day."""
        with self.refusals_logged(actor, resident_id=resident_id):
            self._check_office(actor)
            switch = switch_to_face_auth() if to_face_auth else switch_to_pin_card()
            checked = {}
            if switch.set_pins:
                given = pins or {}
                checked = {k: checked_pin(k, given.get(k, "")) for k in PINS_SET_ON_THE_WAY_BACK}
            card = self._face_card(resident_id)
            if card.face_auth == to_face_auth:
                raise Refused(
                    "already_face_auth" if to_face_auth else "not_face_auth",
                    "the card is already of that kind",
                )
            virtual = self.cards.load(card.id)
            api = JpkiCard(virtual)
            api.authenticate_issuer(self.cards.issuer_key)
            if switch.clear_pins:
                for pin in PinKind:
                    api.clear_pin(pin)
                api.delete_key(CertKind.SIGN)
            for pin, value in checked.items():
                api.set_pin(pin, value)
            with self.uow_factory() as uow:
                locked = uow.counter.card(card.id, for_update=True)
                if locked is None or locked.version != card.version:
                    raise ConcurrentUpdate("card")
                outcome = None
                if to_face_auth:
                    outcome = self.registry.apply_in(
                        uow, resident_id, RegistryEvent.FACE_AUTH_SWITCH, actor
                    )
                remarks = (*locked.remarks, switch.remark) if switch.remark else locked.remarks
                updated = uow.counter.update_card(
                    replace(locked, face_auth=to_face_auth, remarks=remarks)
                )
                self._audit(
                    uow,
                    actor,
                    "card.face_auth" if to_face_auth else "card.pin_card",
                    resident_id=resident_id,
                    detail={
                        "card": card.id,
                        "revoked": [
                            f"{r.kind.value}:{r.serial_hex}"
                            for r in (outcome.revoked if outcome else ())
                        ],
                    },
                )
                self.cards.vault.stage(virtual)
                try:
                    uow.commit()
                except BaseException:
                    self.cards.vault.discard(card.id)
                    raise
            self.cards.vault.promote(card.id)
            return updated
