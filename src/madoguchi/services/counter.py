"""The counter's procedures P1–P5 and the other errands, each step one transaction.

Guards come from the rules layer: the office (R-PROC-0), eligibility (R-ELIG), the renewal
window (R-PROC-3), ID documents by their codes (R-ID, services/counter_documents.py), inquiry letters (R-PROC-2), PIN formats
(R-PIN-1), the fee (R-PROC-4). Every step appends to the audit log in the same transaction,
and every refusal is logged for the supervisor (:meth:`CounterBase.refusals_logged`). The
issuance is in services/counter_issue.py, the errands that are not procedures (revocation
on request, lost and found cards, PIN resets) in services/counter_errands.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from madoguchi.card.errors import PinLocked, WrongPin
from madoguchi.rules.abroad import AbroadApplicant
from madoguchi.rules.cases import CaseEvent, CaseKind, CaseState, next_case_state
from madoguchi.rules.dates import jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.fees import FeeReason, reissue_fee_reason
from madoguchi.rules.inquiry import format_letter_number
from madoguchi.rules.items import IdRole, Item
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import Applicant, Purpose, Step
from madoguchi.rules.stay import StayApplicant
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.counter_abroad import CounterAbroad
from madoguchi.services.counter_base import (
    Issued,
    checked_pin,
    is_renewal,
    new_case_id,
    procedure_of,
)
from madoguchi.services.counter_documents import RoleDocuments, documents, judged, with_visit
from madoguchi.services.counter_documents import proxy_name as proxy_name_of
from madoguchi.services.counter_errands import CounterErrands
from madoguchi.services.counter_face import CounterFace
from madoguchi.services.counter_issue import CounterIssuance
from madoguchi.services.counter_stay import CounterStay, StayOutcome
from madoguchi.services.domain import (
    Card,
    CardStatus,
    Case,
    Correctable,
    InquiryLetter,
    Refused,
    Resident,
    ResidentStatus,
)
from madoguchi.services.ports import ReadOnlyUnitOfWork
from madoguchi.services.registry import active_card, current_certificates

__all__ = ["CounterService", "Issued", "checked_pin"]


def case_fee_reason(
    kind: CaseKind,
    declared: FeeReason | None,
    moved_abroad_on: date | None,
    card_created: date,
) -> FeeReason | None:
    """R-FEE-1, R-FEE-2: why the card is in hand, for the fee. A renewal is ``renewal``; a new
    issuance is what the clerk declares (``new`` by default). A card re-issued after a move
    abroad is free when applied for within 90 days of the move-out (R-ABROAD-1); our reading:
    the card's creation date stands for the application (the store has no other), later it
    is a re-issue through the holder's doing. Cases that issue nothing have no reason."""
    procedure = procedure_of(kind)
    if procedure is None:
        if declared is not None:
            raise Refused("fee_reason_not_applicable", f"{kind.value} issues no certificate")
        return None
    if procedure.purpose is Purpose.RENEWAL:
        if declared not in (None, FeeReason.RENEWAL):
            raise Refused("fee_reason_mismatch", f"{kind.value} is a renewal")
        return FeeReason.RENEWAL
    if declared is FeeReason.RENEWAL:
        raise Refused("fee_reason_mismatch", f"{kind.value} is not a renewal")
    if declared is FeeReason.ABROAD_REISSUE_90D:
        if moved_abroad_on is None:
            raise Refused("moved_abroad_on_required", "the move-out date abroad is needed")
        return reissue_fee_reason(
            holders_doing=False,
            lapsed_at_move_abroad=moved_abroad_on,
            applied=card_created,
        )
    return declared or FeeReason.NEW


def sign_eligible(resident: Resident, on: date) -> bool:
    """R-ELIG: may the resident hold a signing certificate on ``on``?"""
    return eligibility(
        CertKind.SIGN, birth=resident.birth, on=on, adult_ward=resident.adult_ward
    ).eligible


class CounterService(CounterIssuance, CounterErrands, CounterStay, CounterFace, CounterAbroad):
    # -- opening a case ----------------------------------------------------------------------
    def open_case(
        self,
        *,
        kind: CaseKind,
        resident_id: str,
        actor: Actor,
        idempotency_key: str | None = None,
        fee_reason: FeeReason | None = None,
        moved_abroad_on: date | None = None,
        abroad_sign: bool = False,
    ) -> Case:
        """Open a case at the counter; refused at a branch office (R-PROC-0) and, for a
        renewal, outside the window (R-PROC-3). ``fee_reason`` says why the card is in hand
        (R-FEE; a new issuance defaults to ``new``, a renewal is ``renewal``); a card
        re-issued after a move abroad names the move-out date (``moved_abroad_on``)."""
        with self.refusals_logged(actor, resident_id=resident_id):
            kind = CaseKind(kind)
            self._check_office(actor)
            with self.uow_factory() as uow:
                if idempotency_key and (existing := uow.counter.case_by_key(idempotency_key)):
                    if existing.kind is not kind or existing.resident_id != resident_id:
                        raise Refused(
                            "idempotency_conflict", "the retry key was used for another case"
                        )
                    return existing
                resident = self._resident(uow, resident_id)
                card = self._card_for(uow, kind, resident_id)
                abroad = abroad_sign and card.abroad_since is not None  # R-ABROAD-3
                if resident.status is not ResidentStatus.RESIDENT and not abroad:
                    raise Refused("not_resident", f"resident status is {resident.status.value}")
                if kind.procedure is not None and sign_eligible(resident, self._today()):
                    self._check_certificate_text(resident)  # R-X509-2: refused at once
                if is_renewal(kind):
                    self._check_renewal_window(uow, card.id)
                procedure = procedure_of(kind)
                reason = case_fee_reason(kind, fee_reason, moved_abroad_on, card.created)
                case = Case(
                    id=new_case_id(),
                    kind=kind,
                    resident_id=resident_id,
                    card_id=card.id,
                    office=actor.office,
                    clerk=actor.clerk,
                    terminal=actor.terminal,
                    state=CaseState.OPEN,
                    applicant=procedure.applicant if procedure else Applicant.SELF,
                    opened_at=self.clock(),
                    idempotency_key=idempotency_key,
                    fee_reason=reason,
                    abroad_sign=abroad_sign,
                )
                uow.counter.add_case(case)
                detail: dict[str, object] = {"kind": kind.value}
                if reason:
                    detail["fee_reason"] = reason.value
                self._audit(uow, actor, "case.open", case=case, detail=detail)
                uow.commit()
            return case

    def open_abroad_sign_case(
        self, resident_id: str, *, applicant: AbroadApplicant, actor: Actor
    ) -> Case:
        """R-ABROAD-3: the 国外転出者向け signing certificate — who may apply on this day
        decides the procedure (P1, or P2 with the inquiry letter before the move-out)."""
        with self.refusals_logged(actor, resident_id=resident_id):
            kind = CaseKind(self.abroad_sign_case_kind(resident_id, applicant))
        return self.open_case(kind=kind, resident_id=resident_id, actor=actor, abroad_sign=True)

    def change_validity(
        self,
        resident_id: str,
        *,
        new_stay_until: date,
        applicant: StayApplicant,
        actor: Actor,
    ) -> tuple[StayOutcome, Case | None]:
        """R-CARD-3: the validity change, and — when the holder or a legal representative
        applies — the renewal of both certificates opened at the same visit (P3; the clerk
        records the items and issues as in any renewal, the old ones superseded)."""
        outcome = self.change_card_validity(
            resident_id, new_stay_until=new_stay_until, applicant=applicant, actor=actor
        )
        if not outcome.change.renew_certificates:
            return outcome, None
        with self.uow_factory.read_only() as reader:
            has_certificates = bool(current_certificates(reader, outcome.card.id))
        if not has_certificates:
            return outcome, None
        return outcome, self.open_case(kind=CaseKind.P3, resident_id=resident_id, actor=actor)

    @staticmethod
    def _card_for(uow: ReadOnlyUnitOfWork, kind: CaseKind, resident_id: str) -> Card:
        card = active_card(uow, resident_id)
        if kind is CaseKind.CARD_FOUND:
            lost = [c for c in uow.counter.cards_of(resident_id) if c.status is CardStatus.LOST]
            card = lost[-1] if lost else None
        if card is None:
            raise Refused("no_card", "the resident has no usable card")
        return card

    # -- visits ----------------------------------------------------------------------------------
    def record_visit(
        self,
        case_id: str,
        *,
        visit: int,
        items: Iterable[Item],
        actor: Actor,
        holder_documents: Iterable[str] = (),
        proxy_documents: Iterable[str] = (),
        proxy_name: str | None = None,
        juki_pin: str | None = None,
    ) -> Case:
        """Record what the person brought at this visit.

        The holder proves who they are with the 住基 PIN (checked on the card) or with ID
        documents: the service decides from what was given — documents shown count as the
        ID item, a PIN typed as the PIN item. ID documents are recorded by their R-ID codes
        and judged with the rules (R-ID-2, R-ID-3); a proxy's name is recorded with the
        proxy's documents. A wrong PIN is a slip, not a refusal: it says how many tries are
        left and is audited as ``card.pin_failed``."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            wanted = {Item(i) for i in items}
            holder_docs, proxy_docs = documents(holder_documents), documents(proxy_documents)
            if holder_docs:
                wanted.add(Item.HOLDER_ID)
            if proxy_docs:
                wanted.add(Item.PROXY_ID)
            if juki_pin:
                wanted.add(Item.HOLDER_PIN)
            pin = checked_pin(PinKind.JUKI, juki_pin, field="juki_pin") if juki_pin else None
            today = self._today()
            checked: dict[IdRole, RoleDocuments] = {}
            try:
                if Item.HOLDER_ID in wanted:
                    checked[IdRole.HOLDER] = judged(IdRole.HOLDER, holder_docs, on=today)
                if Item.PROXY_ID in wanted:
                    checked[IdRole.PROXY] = judged(
                        IdRole.PROXY, proxy_docs, on=today, name=proxy_name_of(proxy_name)
                    )
            except Correctable as exc:
                if exc.code.endswith("_id_insufficient"):  # the verdict audited, no refusal
                    shown = holder_docs if exc.code.startswith("holder") else proxy_docs
                    self._audit_in_own(
                        actor,
                        "case.documents_rejected",
                        case_id,
                        {"reason": exc.detail, "documents": [d.value for d in shown]},
                    )
                raise
            with self.uow_factory.read_only() as reader:
                case = self._read_case(reader, case_id)
            procedure = procedure_of(case.kind)
            if visit < 1 or visit > (len(procedure.visits) if procedure else 1):
                raise RuleInputError("no_such_visit", f"no visit {visit}")
            if case.state.final:
                raise Refused("case_closed", f"the case is {case.state.value}")
            if Item.HOLDER_PIN in wanted:
                self._require_pin_card(case)  # R-FACE-1: ID documents instead
                # on the card (its PIN hashing takes a card's time), outside any transaction
                self._verify_juki_pin(case, pin, actor)
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                if case.state.final:
                    raise Refused("case_closed", f"the case is {case.state.value}")
                recorded = dict(case.items)
                recorded[str(visit)] = sorted(
                    set(recorded.get(str(visit), [])) | {i.value for i in wanted}
                )
                docs = with_visit(case, visit, checked) if checked else case.documents
                case = uow.counter.update_case(replace(case, items=recorded, documents=docs))
                detail: dict[str, object] = {"visit": visit, "items": recorded[str(visit)]}
                if checked:
                    detail["documents"] = {
                        r.value: d.as_json()["codes"] for r, d in checked.items()
                    }
                self._audit(uow, actor, "case.items", case=case, detail=detail)
                uow.commit()
            return case

    def _verify_juki_pin(self, case: Case, pin: str | None, actor: Actor) -> None:
        if not pin or case.card_id is None:
            raise Correctable(
                "pin_required", "the holder enters the 住基 PIN on the card", field="juki_pin"
            )
        try:
            self.cards.verify_pin(case.card_id, PinKind.JUKI, pin)
        except WrongPin as exc:  # audited (a try spent), not a refusal
            self._audit_in_own(actor, "card.pin_failed", case.id, {"tries_left": exc.tries_left})
            raise Correctable(
                "wrong_pin",
                f"wrong PIN, {exc.tries_left} tries left",
                field="juki_pin",
                tries=exc.tries_left,
            ) from exc
        except PinLocked as exc:
            raise Refused(
                "pin_locked", "the PIN is locked: reset at the counter with photo ID"
            ) from exc

    def _audit_in_own(
        self, actor: Actor, action: str, case_id: str, detail: dict[str, object]
    ) -> None:
        """An audit entry in a transaction of its own (the step itself records nothing)."""
        with self.uow_factory() as uow:
            self._audit(uow, actor, action, case=self._read_case(uow, case_id), detail=detail)
            uow.commit()

    def _require_pin_card(self, case: Case) -> None:
        """R-FACE-1: a face-authentication card has no 住基 PIN: the holder shows ID."""
        if case.card_id is None:
            return
        with self.uow_factory.read_only() as reader:
            card = reader.counter.card(case.card_id)
        if card is not None and card.face_auth:
            raise Refused("face_auth_no_pin", "a face-authentication card has no PIN")

    def mail_inquiry_letter(self, case_id: str, actor: Actor) -> InquiryLetter:
        """P2/P5, end of the first visit: an inquiry letter to the registered address (R-PROC-2)."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                procedure = procedure_of(case.kind)
                if procedure is None or procedure.visits[0].step is not Step.REQUEST:
                    raise Refused("no_inquiry_letter", f"{case.kind.value} has no inquiry letter")
                next_case_state(case.kind, case.state, CaseEvent.LETTER_MAILED)  # state first
                self._visit_complete(case, 1)
                resident = self._resident(uow, case.resident_id)
                now = self.clock()
                year = jst_date(now).year  # the letter's year is Japan's (R-DATE-1)
                seq = uow.pki.next_value(f"letter-seq:{year}")
                number = format_letter_number(year, seq)
                letter = InquiryLetter(number, case.id, resident.id, resident.address, now, None)
                uow.counter.add_letter(letter)
                self._move(uow, case, CaseEvent.LETTER_MAILED, actor)
                uow.commit()
            return letter

    # -- refusals and cancellations ------------------------------------------------------------
    def refuse(self, case_id: str, reason: str, actor: Actor) -> Case:
        """Close the case as refused, with the reason told to the person (R-PROC-0: only at
        an office that handles certificates, like every other step)."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            text = " ".join(reason.split())[:200]
            if not text:
                raise Refused("reason_required", "a refusal names its reason")
            with self.uow_factory() as uow:
                case = self._move(
                    uow, self._case(uow, case_id), CaseEvent.REFUSE, actor, refusal=text
                )
                uow.commit()
            return case

    def cancel(self, case_id: str, actor: Actor) -> Case:
        """The person withdrew (R-PROC-0 as for every step)."""
        with self.refusals_logged(actor, case_id=case_id):
            self._check_office(actor)
            with self.uow_factory() as uow:
                case = self._move(uow, self._case(uow, case_id), CaseEvent.CANCEL, actor)
                uow.commit()
            return case

    # -- prints ---------------------------------------------------------------------------------
    def record_print(self, case_id: str, document: str, actor: Actor) -> None:
        """A document of the case was printed (the certificate copy, the receipt, the inquiry
        letter): the audit log says who printed what."""
        with self.uow_factory() as uow:
            case = self._case(uow, case_id)
            self._audit(uow, actor, "document.print", case=case, detail={"document": document})
            uow.commit()
