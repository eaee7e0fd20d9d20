"""The counter's errands that are not issuances: revocation at the holder's request, a lost
card reported and found again (R-REV-3), and the reset of a locked PIN (R-PIN-2)."""

from __future__ import annotations

from collections.abc import Iterable

from madoguchi.rules.cases import CaseEvent, CaseKind, next_case_state
from madoguchi.rules.face_auth import pin_reset_possible
from madoguchi.rules.pins import PinKind
from madoguchi.rules.revocation import RegistryEvent, RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.counter_base import CounterBase, checked_pin
from madoguchi.services.counter_documents import holder_photo_id
from madoguchi.services.domain import Case, Refused
from madoguchi.services.registry import current_certificates


class CounterErrands(CounterBase):
    def revoke_on_request(self, case_id: str, kinds: Iterable[CertKind], actor: Actor) -> Case:
        """R-REV-3: the holder asks for revocation of one or both certificates."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            wanted = {CertKind(k) for k in kinds}
            if not wanted:
                raise Refused("kinds_required", "choose the certificates to revoke")
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                assert case.card_id is not None
                for rec in current_certificates(uow, case.card_id).values():
                    if rec.kind in wanted:
                        self.ca.change_status_in(
                            uow,
                            rec.kind,
                            rec.serial,
                            StatusChange.REVOKE,
                            RevocationReason.UNSPECIFIED,
                        )
                        self._audit(
                            uow,
                            actor,
                            "certificate.revoke",
                            case=case,
                            certificate=f"{rec.kind.value}:{rec.serial_hex}",
                        )
                case = self._move(uow, case, CaseEvent.COMPLETE, actor)
                uow.commit()
            return case

    def card_event(self, case_id: str, actor: Actor) -> Case:
        """A lost card reported (its certificates held) or a held card found again (its
        certificates revoked: new ones are issued in a new case), R-REV-3."""
        events = {CaseKind.CARD_LOST: RegistryEvent.LOST, CaseKind.CARD_FOUND: RegistryEvent.FOUND}
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                if case.kind not in events:
                    raise Refused(
                        "not_a_card_event", f"{case.kind.value} is not a lost or found card"
                    )
                self.registry.apply_in(uow, case.resident_id, events[case.kind], actor)
                case = self._move(uow, case, CaseEvent.COMPLETE, actor)
                uow.commit()
            return case

    def reset_pin(self, case_id: str, pin: PinKind, new_value: str, actor: Actor) -> Case:
        """R-PIN-2: a locked PIN is reset only at the counter, with the holder's photo ID.

        The case is checked first, the card is reset (outside any transaction: the card is
        not the database), and the case completed in a transaction of its own; a reset
        repeated after a failure in between sets the same value again."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            pin = PinKind(pin)
            value = checked_pin(pin, new_value, field="new_value")
            with self.uow_factory.read_only() as reader:
                case = self._read_case(reader, case_id)
                card = reader.counter.card(case.card_id) if case.card_id else None
            if card is not None and not pin_reset_possible(face_auth_card=card.face_auth):
                raise Refused("face_auth_no_pin", "a face-authentication card has no PIN")
            self._require_photo_id(case)
            next_case_state(case.kind, case.state, CaseEvent.COMPLETE)  # before the card
            assert case.card_id is not None
            self.cards.reset_pin(case.card_id, pin, value)
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                self._require_photo_id(case)
                case = self._move(uow, case, CaseEvent.COMPLETE, actor)
                self._audit(uow, actor, "card.pin_reset", case=case, detail={"pin": pin.value})
                uow.commit()
            return case

    @staticmethod
    def _require_photo_id(case: Case) -> None:
        if not holder_photo_id(case):
            raise Refused("photo_id_required", "a PIN reset needs the holder's photo ID")
