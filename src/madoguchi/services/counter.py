"""The counter's procedures P1–P5 and the other errands, each step one transaction.

Guards come from the rules layer: the office (R-PROC-0), eligibility (R-ELIG), the renewal
window (R-PROC-3), ID documents (R-PROC-1), inquiry letters (R-PROC-2), the fee (R-PROC-4).
Every step appends to the audit log in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from madoguchi.card.errors import PinLocked, WrongPin
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseEvent, CaseKind, CaseState, next_case_state
from madoguchi.rules.dates import jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.fees import DEFAULT_FEE_SCHEDULE, FeeEntry, fee_on
from madoguchi.rules.inquiry import (
    LetterFacts,
    format_letter_number,
    letter_problem,
    parse_letter_number,
)
from madoguchi.rules.items import IdDocumentKind, IdRole, Item, id_documents_accepted
from madoguchi.rules.offices import DEFAULT_OFFICES, Office, office_by_code
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import (
    PROCEDURES,
    Applicant,
    Procedure,
    Purpose,
    Step,
    evaluate_visit,
)
from madoguchi.rules.revocation import RegistryEvent, RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind, renewal_offered
from madoguchi.services.audit import Actor, record
from madoguchi.services.cardside import CardSide
from madoguchi.services.domain import (
    Card,
    CardStatus,
    Case,
    InquiryLetter,
    Resident,
    ResidentStatus,
)
from madoguchi.services.errors import ConcurrentUpdate, NotFound, Refused
from madoguchi.services.ports import UnitOfWorkPort
from madoguchi.services.readonly import read_only
from madoguchi.services.registry import RegistryService


def _procedure(kind: CaseKind) -> Procedure | None:
    """The SPEC §4 procedure of a case kind (None for revocation, PIN reset, lost, found)."""
    return PROCEDURES[kind.procedure] if kind.procedure else None


def _is_renewal(kind: CaseKind) -> bool:
    procedure = _procedure(kind)
    return procedure is not None and procedure.purpose is Purpose.RENEWAL


@dataclass(frozen=True, slots=True)
class CounterConfig:
    offices: tuple[Office, ...] = DEFAULT_OFFICES
    fee_schedule: tuple[FeeEntry, ...] = DEFAULT_FEE_SCHEDULE


@dataclass(frozen=True, slots=True)
class Issued:
    case: Case
    certificates: dict[CertKind, CertRecord]
    superseded: tuple[CertRecord, ...]
    fee_due: int
    receipt_no: str


def new_case_id() -> str:
    return "C" + secrets.token_hex(8).upper()


class CounterService:
    def __init__(
        self,
        registry: RegistryService,
        cards: CardSide,
        config: CounterConfig | Callable[[], CounterConfig] = CounterConfig(),
    ) -> None:
        self.registry = registry
        self.ca = registry.ca
        self.cards = cards
        self._config = config

    @property
    def config(self) -> CounterConfig:
        """The offices and fee schedule in force (the admin may change them at any time)."""
        return self._config() if callable(self._config) else self._config

    def record_refusal(
        self, actor: Actor, code: str, *, case_id: str | None = None, resident_id: str | None = None
    ) -> None:
        """Log a refusal the rules made (branch office, outside the window, …) for the
        supervisor's list of the day's refusals."""
        with self.ca.uow_factory() as uow:
            record(
                uow,
                self.ca.clock(),
                actor,
                "counter.refused",
                {"code": code},
                case_id=case_id,
                resident_id=resident_id,
            )
            uow.commit()

    # -- helpers ---------------------------------------------------------------------------
    def _today(self) -> date:
        return jst_date(self.ca.clock())

    def _check_office(self, actor: Actor) -> CounterConfig:
        """R-PROC-0; returns the configuration in force, read before any transaction opens."""
        with read_only():
            config = self.config
        office = office_by_code(actor.office, config.offices)
        if not office.handles_certificates:
            raise Refused("branch_office", f"{office.code} does not handle certificates")
        return config

    def _case(self, uow: UnitOfWorkPort, case_id: str, *, for_update: bool = True) -> Case:
        case = uow.counter.case(case_id, for_update=for_update)
        if case is None:
            raise NotFound("unknown_case", f"no case {case_id}")
        return case

    def _resident(self, uow: UnitOfWorkPort, resident_id: str) -> Resident:
        resident = uow.counter.resident(resident_id)
        if resident is None:
            raise NotFound("unknown_resident", f"no resident {resident_id}")
        return resident

    def _move(
        self, uow: UnitOfWorkPort, case: Case, event: CaseEvent, actor: Actor, **changes: object
    ) -> Case:
        state = next_case_state(case.kind, case.state, event)
        now = self.ca.clock()
        closed = now if state.final else case.closed_at
        updated = uow.counter.update_case(replace(case, state=state, closed_at=closed, **changes))  # type: ignore[arg-type]
        uow.counter.add_history(
            case.id, now, event.value, case.state.value, state.value, actor.clerk
        )
        self._audit(uow, actor, f"case.{event.value}", case=updated)
        return updated

    def _audit(
        self,
        uow: UnitOfWorkPort,
        actor: Actor,
        action: str,
        *,
        case: Case | None = None,
        resident_id: str | None = None,
        certificate: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        uow.counter.append_audit(
            at=self.ca.clock(),
            clerk=actor.clerk,
            office=actor.office,
            terminal=actor.terminal,
            action=action,
            case_id=case.id if case else None,
            resident_id=resident_id or (case.resident_id if case else None),
            certificate=certificate,
            detail=detail or {},
        )

    # -- opening a case ----------------------------------------------------------------------
    def open_case(
        self, *, kind: CaseKind, resident_id: str, actor: Actor, idempotency_key: str | None = None
    ) -> Case:
        """Open a case at the counter; refused at a branch office (R-PROC-0) and, for a
        renewal, outside the window (R-PROC-3)."""
        kind = CaseKind(kind)
        self._check_office(actor)
        with self.ca.uow_factory() as uow:
            if idempotency_key and (existing := uow.counter.case_by_key(idempotency_key)):
                return existing
            resident = self._resident(uow, resident_id)
            if resident.status is not ResidentStatus.RESIDENT:
                raise Refused("not_resident", f"resident status is {resident.status.value}")
            card = self.registry.active_card(uow, resident_id)
            if kind is CaseKind.CARD_FOUND:
                lost = [c for c in uow.counter.cards_of(resident_id) if c.status is CardStatus.LOST]
                card = lost[-1] if lost else None
            if card is None:
                raise Refused("no_card", "the resident has no usable card")
            if _is_renewal(kind):
                self._check_renewal_window(uow, card.id)
            case = Case(
                id=new_case_id(),
                kind=kind,
                resident_id=resident_id,
                card_id=card.id,
                office=actor.office,
                clerk=actor.clerk,
                terminal=actor.terminal,
                state=CaseState.OPEN,
                applicant=procedure.applicant
                if (procedure := _procedure(kind))
                else Applicant.SELF,
                opened_at=self.ca.clock(),
                idempotency_key=idempotency_key,
            )
            uow.counter.add_case(case)
            self._audit(uow, actor, "case.open", case=case, detail={"kind": kind.value})
            uow.commit()
        return case

    def _check_renewal_window(self, uow: UnitOfWorkPort, card_id: str) -> None:
        current = self.registry.current_certificates(uow, card_id)
        if not current:
            raise Refused(
                "nothing_to_renew", "no certificate to renew: this is a new issuance (P1/P2)"
            )
        today = self._today()
        if not any(renewal_offered(today, jst_date(r.not_after)) for r in current.values()):
            raise Refused("outside_window", "renewal opens three months before expiry (R-VAL-3)")

    # -- visits ----------------------------------------------------------------------------------
    def record_visit(
        self,
        case_id: str,
        *,
        visit: int,
        items: Iterable[Item],
        actor: Actor,
        holder_documents: Iterable[IdDocumentKind] = (),
        proxy_documents: Iterable[IdDocumentKind] = (),
        juki_pin: str | None = None,
    ) -> Case:
        """Record what the person brought; ID documents are checked per R-PROC-1 and the
        holder's 住基 PIN on the card itself."""
        self._check_office(actor)
        items = [Item(i) for i in items]
        added: dict[str, list[str]] = {}
        if Item.HOLDER_ID in items:
            check = id_documents_accepted(IdRole.HOLDER, holder_documents)
            if not check.accepted:
                raise Refused("holder_id_insufficient", check.message)
            added["holder"] = sorted({IdDocumentKind(d).value for d in holder_documents})
        if Item.PROXY_ID in items:
            check = id_documents_accepted(IdRole.PROXY, proxy_documents)
            if not check.accepted:
                raise Refused("proxy_id_insufficient", check.message)
            added["proxy"] = sorted({IdDocumentKind(d).value for d in proxy_documents})
        if Item.HOLDER_PIN in items:
            # on the card (its PIN hashing takes a card's time), outside any transaction
            with read_only(), self.ca.uow_factory() as uow:
                case = self._case(uow, case_id, for_update=False)
            if case.state.final:
                raise Refused("case_closed", f"the case is {case.state.value}")
            self._verify_juki_pin(case, juki_pin)
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            if case.state.final:
                raise Refused("case_closed", f"the case is {case.state.value}")
            docs = {**case.documents, **added}
            recorded = dict(case.items)
            recorded[str(visit)] = sorted(
                set(recorded.get(str(visit), [])) | {i.value for i in items}
            )
            case = uow.counter.update_case(replace(case, items=recorded, documents=docs))
            self._audit(
                uow,
                actor,
                "case.items",
                case=case,
                detail={"visit": visit, "items": recorded[str(visit)]},
            )
            uow.commit()
        return case

    def _verify_juki_pin(self, case: Case, pin: str | None) -> None:
        if not pin or case.card_id is None:
            raise Refused("pin_required", "the holder enters the 住基 PIN on the card")
        try:
            self.cards.verify_pin(case.card_id, PinKind.JUKI, pin)
        except WrongPin as exc:
            raise Refused("wrong_pin", f"wrong PIN, {exc.tries_left} tries left") from exc
        except PinLocked as exc:
            raise Refused(
                "pin_locked", "the PIN is locked: reset at the counter with photo ID"
            ) from exc

    def _visit_complete(self, case: Case, visit: int) -> None:
        procedure = PROCEDURES[case.kind.procedure]  # type: ignore[index]
        check = evaluate_visit(
            procedure.visit(visit), [Item(i) for i in case.items.get(str(visit), [])]
        )
        if not check.complete:
            missing = ",".join(r.options[0].value for r in check.missing)
            raise Refused("items_missing", missing)

    def mail_inquiry_letter(self, case_id: str, actor: Actor) -> InquiryLetter:
        """P2/P5, end of the first visit: an inquiry letter to the registered address (R-PROC-2)."""
        self._check_office(actor)
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            procedure = PROCEDURES.get(case.kind.procedure) if case.kind.procedure else None  # type: ignore[arg-type]
            if procedure is None or procedure.visits[0].step is not Step.REQUEST:
                raise Refused("no_inquiry_letter", f"{case.kind.value} has no inquiry letter")
            next_case_state(case.kind, case.state, CaseEvent.LETTER_MAILED)  # state first
            self._visit_complete(case, 1)
            resident = self._resident(uow, case.resident_id)
            now = self.ca.clock()
            number = format_letter_number(now.year, uow.pki.next_value(f"letter-seq:{now.year}"))
            letter = InquiryLetter(number, case.id, resident.id, resident.address, now, None)
            uow.counter.add_letter(letter)
            self._move(uow, case, CaseEvent.LETTER_MAILED, actor)
            uow.commit()
        return letter

    # -- refusals ----------------------------------------------------------------------------------
    def refuse(self, case_id: str, reason: str, actor: Actor) -> Case:
        with self.ca.uow_factory() as uow:
            case = self._move(
                uow, self._case(uow, case_id), CaseEvent.REFUSE, actor, refusal=reason
            )
            uow.commit()
        return case

    def cancel(self, case_id: str, actor: Actor) -> Case:
        with self.ca.uow_factory() as uow:
            case = self._move(uow, self._case(uow, case_id), CaseEvent.CANCEL, actor)
            uow.commit()
        return case

    # -- issuance ----------------------------------------------------------------------------------
    def _check_letter(
        self,
        uow: UnitOfWorkPort,
        case: Case,
        letter_number: str | None,
        *,
        for_update: bool = True,
    ) -> str:
        if not letter_number:
            raise Refused("letter_required", "the second visit brings the inquiry letter")
        number = parse_letter_number(letter_number)
        letter = uow.counter.letter(number, for_update=for_update)
        if letter is None:
            raise Refused("letter_unknown", f"no inquiry letter {number}")
        resident = self._resident(uow, case.resident_id)
        problem = letter_problem(
            LetterFacts(
                letter.case_id,
                letter.resident_id,
                letter.mailed_at,
                letter.used_at,
                resident.changed_at,
            ),
            case_id=case.id,
            holder_id=case.resident_id,
        )
        if problem is not None:
            raise Refused(problem.value, problem.message)
        return number

    def issue(
        self,
        case_id: str,
        *,
        sign_password: str,
        auth_pin: str,
        actor: Actor,
        letter_number: str | None = None,
    ) -> Issued:
        """Issue both certificates in one transaction (R-PROC-5, R-PROC-6, R-VAL-4).

        In three steps, so the database's write lock (SQLite) and rows (PostgreSQL) are held
        for milliseconds, not for the card's work: (1) the case is checked in a read-only
        unit of work; (2) the card is personalised in memory, outside any transaction: PINs
        set, keys generated, proofs of possession signed (seconds on a real card); (3) one
        short transaction checks everything again under lock, has the CA sign, records,
        stages the card file and commits; the staged card is promoted after the commit
        (crash-safe: services/cardside.py). A card changed by another terminal between (1)
        and (3) ends in ConcurrentUpdate, and the card work done in (2) is dropped."""
        config = self._check_office(actor)
        with read_only(), self.ca.uow_factory() as uow:
            case = self._case(uow, case_id, for_update=False)
            if case.state is CaseState.ISSUED:  # a retried request: the same answer
                return self._issued_view(uow, case)
            resident, card, kinds, _ = self._issue_checks(
                uow, case, letter_number, for_update=False
            )
        seen_version = card.version
        pins = {CertKind.SIGN: sign_password, CertKind.AUTH: auth_pin}
        prepared = self.cards.prepare_issuance(card.id, kinds, pins)
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            if case.state is CaseState.ISSUED:  # the same request, retried meanwhile
                return self._issued_view(uow, case)
            resident, card, kinds_now, number = self._issue_checks(uow, case, letter_number)
            if card.version != seen_version or kinds_now != kinds:
                raise ConcurrentUpdate("card")
            today = self._today()
            opened = case.opened_at.replace(microsecond=0)  # notBefore has whole seconds
            if any(rec.not_before >= opened for rec in uow.pki.certificates_of_card(card.id)):
                raise ConcurrentUpdate("card")  # another terminal issued on this card meanwhile
            card = uow.counter.update_card(card)  # the card's version moves with every issuance
            result = self.cards.issue_on_card(
                uow,
                prepared=prepared,
                card=card,
                resident=resident,
                kinds=kinds,
                facts=self.registry.facts(resident),
            )
            fee = fee_on(today, config.fee_schedule)
            receipt = f"RC{today:%Y%m%d}-{uow.pki.next_value(f'receipt:{today:%Y%m%d}'):05d}"
            if number:
                uow.counter.mark_letter_used(number, self.ca.clock())
            case = self._move(
                uow, case, CaseEvent.ISSUE, actor, fee_due=fee.due, receipt_no=receipt
            )
            for rec in result.issued.values():
                self._audit(
                    uow,
                    actor,
                    "certificate.issue",
                    case=case,
                    certificate=f"{rec.kind.value}:{rec.serial_hex}",
                    detail={"expires": jst_date(rec.not_after).isoformat()},
                )
            for rec in result.superseded:
                self._audit(
                    uow,
                    actor,
                    "certificate.supersede",
                    case=case,
                    certificate=f"{rec.kind.value}:{rec.serial_hex}",
                )
            self.cards.commit_with(uow, result)
        return Issued(case, result.issued, result.superseded, fee.due, receipt)

    def _issue_checks(
        self, uow: UnitOfWorkPort, case: Case, letter_number: str | None, *, for_update: bool = True
    ) -> tuple[Resident, Card, list[CertKind], str | None]:
        """What an issuance needs of the store, checked: the case's state and items, the
        letter (two visits), the renewal window; the resident, the card, the kinds due."""
        next_case_state(case.kind, case.state, CaseEvent.ISSUE)  # raises InvalidTransition
        procedure = PROCEDURES[case.kind.procedure]  # type: ignore[index]
        self._visit_complete(case, procedure.visits[-1].number)
        number = (
            self._check_letter(uow, case, letter_number, for_update=for_update)
            if procedure.two_visits
            else None
        )
        assert case.card_id is not None
        if _is_renewal(case.kind):
            self._check_renewal_window(uow, case.card_id)
        resident = self._resident(uow, case.resident_id)
        today = self._today()
        kinds = [
            k
            for k in (CertKind.AUTH, CertKind.SIGN)
            if eligibility(
                k, birth=resident.birth, on=today, adult_ward=resident.adult_ward
            ).eligible
        ]
        card = uow.counter.card(case.card_id, for_update=for_update)
        assert card is not None
        return resident, card, kinds, number

    def _issued_view(self, uow: UnitOfWorkPort, case: Case) -> Issued:
        assert case.card_id is not None
        current = self.registry.current_certificates(uow, case.card_id)
        return Issued(case, current, (), case.fee_due or 0, case.receipt_no or "")

    # -- other errands -----------------------------------------------------------------------------
    def revoke_on_request(self, case_id: str, kinds: Iterable[CertKind], actor: Actor) -> Case:
        """R-REV-3: the holder asks for revocation of one or both certificates."""
        self._check_office(actor)
        wanted = {CertKind(k) for k in kinds}
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            assert case.card_id is not None
            for rec in self.registry.current_certificates(uow, case.card_id).values():
                if rec.kind in wanted:
                    self.ca.change_status_in(
                        uow, rec.kind, rec.serial, StatusChange.REVOKE, RevocationReason.UNSPECIFIED
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
        self._check_office(actor)
        events = {CaseKind.CARD_LOST: RegistryEvent.LOST, CaseKind.CARD_FOUND: RegistryEvent.FOUND}
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            if case.kind not in events:
                raise Refused("not_a_card_event", f"{case.kind.value} is not a lost or found card")
            self.registry.apply_in(uow, case.resident_id, events[case.kind], actor)
            case = self._move(uow, case, CaseEvent.COMPLETE, actor)
            uow.commit()
        return case

    def reset_pin(self, case_id: str, pin: PinKind, new_value: str, actor: Actor) -> Case:
        """R-PIN-2: a locked PIN is reset only at the counter, with the holder's photo ID."""
        self._check_office(actor)
        with self.ca.uow_factory() as uow:
            case = self._case(uow, case_id)
            photo = [IdDocumentKind(d) for d in case.documents.get("holder", [])]
            if not any(d.photo for d in photo):
                raise Refused("photo_id_required", "a PIN reset needs the holder's photo ID")
            assert case.card_id is not None
            self.cards.reset_pin(case.card_id, PinKind(pin), new_value)
            case = self._move(uow, case, CaseEvent.COMPLETE, actor)
            self._audit(uow, actor, "card.pin_reset", case=case, detail={"pin": PinKind(pin).value})
            uow.commit()
        return case
