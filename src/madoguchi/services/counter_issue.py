"""The issuance at the counter (R-PROC-5, R-PROC-6, R-VAL-4): PINs set and keys generated on
the card, the CA signs, the card gets its certificates, the old ones are superseded, the fee
and the receipt recorded — the database part in one short transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseEvent, CaseKind, CaseState, next_case_state
from madoguchi.rules.dates import jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.fees import fee_on
from madoguchi.rules.inquiry import LetterFacts, letter_problem, parse_letter_number
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import PROCEDURES
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.counter_base import (
    CounterBase,
    Issued,
    PinFormatError,
    checked_pin,
    is_renewal,
)
from madoguchi.services.domain import Card, Case, ConcurrentUpdate, Correctable, Refused, Resident
from madoguchi.services.ports import ReadOnlyUnitOfWork, UnitOfWork
from madoguchi.services.reconcile import settled
from madoguchi.services.registry import current_certificates


def valid_kinds(current: Mapping[CertKind, CertRecord], on: date) -> set[CertKind]:
    """The kinds with a certificate that is good and not expired on ``on``."""
    return {
        k
        for k, rec in current.items()
        if rec.status is CertStatus.GOOD and jst_date(rec.not_after) >= on
    }


def eligible_kinds(resident: Resident, card: Card | None, case: Case, on: date) -> list[CertKind]:
    """The kinds the holder may get in this case: the rules' eligibility (R-FACE-1: no `sign`
    on a face-authentication card); the 国外転出者向け case issues `sign` alone (R-ABROAD-3)."""
    kinds = [
        k
        for k in (CertKind.AUTH, CertKind.SIGN)
        if eligibility(
            k,
            birth=resident.birth,
            on=on,
            adult_ward=resident.adult_ward,
            face_auth_card=bool(card and card.face_auth),
        ).eligible
    ]
    return [k for k in kinds if k is CertKind.SIGN] if case.abroad_sign else kinds


def replaces_by_default(case: Case) -> bool:
    """Whether the case's issuance replaces valid certificates unasked: a renewal, and the
    国外転出者向け sign certificate (R-ABROAD-3), which takes the domestic one's place."""
    return is_renewal(case.kind) or case.abroad_sign


def default_kinds(
    eligible: Iterable[CertKind],
    current: Mapping[CertKind, CertRecord],
    *,
    renewal: bool,
    on: date,
) -> list[CertKind]:
    """What the clerk is offered ticked: every kind the rules allow; in a new issuance, not
    a kind whose certificate is still valid (issue 15: a valid certificate is replaced only
    when the clerk chooses it)."""
    keep = set() if renewal else valid_kinds(current, on)
    return [k for k in eligible if k not in keep]


def chosen_kinds(
    requested: set[CertKind] | None,
    eligible: list[CertKind],
    current: Mapping[CertKind, CertRecord],
    *,
    renewal: bool,
    on: date,
) -> list[CertKind]:
    """The kinds to issue: the clerk's choice (each one the holder is eligible for), or
    :func:`default_kinds`; at least one."""
    if requested is None:
        kinds = default_kinds(eligible, current, renewal=renewal, on=on)
    else:
        if requested - set(eligible):
            raise Refused(
                "kind_not_eligible",
                "the holder is not eligible for " + ",".join(sorted(requested - set(eligible))),
                field="kinds",
            )
        kinds = [k for k in eligible if k in requested]
    if not kinds:
        raise Correctable("issue_kinds_required", "choose the certificates to issue", field="kinds")
    return kinds


def one_time_pin() -> str:
    """R-FACE-1: the auth key of a face-authentication card is generated and proves
    possession under a PIN that exists only during the issuance (then cleared)."""
    return f"{secrets.randbelow(10_000):04d}"


class CounterIssuance(CounterBase):
    def issue(
        self,
        case_id: str,
        *,
        sign_password: str | None,
        auth_pin: str,
        actor: Actor,
        letter_number: str | None = None,
        kinds: Iterable[CertKind] | None = None,
    ) -> Issued:
        """Issue the certificates the clerk chose (``kinds``) of those the holder is eligible
        for, in one transaction. Without a choice: :func:`default_kinds` — every eligible
        kind, except that a new issuance does not replace a valid certificate (it is
        replaced only when chosen).

        The PINs' formats are checked first (R-PIN-1: a malformed PIN costs no try on the
        card); ``sign_password`` is needed when a signing certificate is issued.

        In three steps, so the database's write lock (SQLite) and rows (PostgreSQL) are held
        for milliseconds, not for the card's work: (1) the case is checked in a read-only
        unit of work; (2) the card is personalised in memory, outside any transaction: PINs
        set, keys generated, proofs of possession signed (seconds on a real card); (3) one
        short transaction checks everything again under lock (the card's row), has the CA
        sign (issue sequences from PostgreSQL sequences: no lock), stages the card file
        (fsync), and only then takes the rows every terminal needs — the status counter of
        a renewal, the day's receipt counter, the audit chain, the issue counters — and
        commits; the staged card is promoted after the commit (crash-safe:
        services/cardside.py). Receipt numbers stay gapless per day: they come from a
        counter row, taken after the card's fsync, so its lock lasts to the COMMIT only. A card changed by another terminal between (1)
        and (3) ends in ConcurrentUpdate, and the card work done in (2) is dropped."""
        with self.refusals_logged(actor, case_id=case_id):
            config = self._check_office(actor)
            requested = None if kinds is None else {CertKind(k) for k in kinds}
            with self.uow_factory.read_only() as reader:
                case = self._read_case(reader, case_id)
                if case.state is CaseState.ISSUED:  # a retried request: the same answer
                    return self._issued_view(reader, case)
                resident, card, eligible, _ = self._issue_checks(reader, case, letter_number)
                assert case.card_id is not None
                current = current_certificates(reader, case.card_id)
            kinds = chosen_kinds(
                requested, eligible, current, renewal=replaces_by_default(case), on=self._today()
            )
            if CertKind.SIGN in kinds:
                self._check_certificate_text(resident, case)  # R-X509-2, before any key
            auth = ""
            if CertKind.AUTH in kinds:
                auth = (
                    one_time_pin()  # R-FACE-1: no PIN stays on a face-authentication card
                    if card.face_auth
                    else checked_pin(PinKind.AUTH, auth_pin, field="auth_pin")
                )
            sign = None
            if CertKind.SIGN in kinds:
                if not sign_password:
                    raise PinFormatError(
                        "sign_password_required",
                        "the signing certificate needs its password",
                        "sign_password",
                    )
                sign = checked_pin(PinKind.SIGN, sign_password, field="sign_password")
            seen_version = card.version
            pins = {
                **({CertKind.AUTH: auth} if auth else {}),
                **({CertKind.SIGN: sign} if sign else {}),
            }
            self.intents.settle_card(card.id, actor)  # an earlier attempt the CA answered
            prepared = self.cards.prepare_issuance(card.id, kinds, pins)
            if card.face_auth:  # the proof of possession is signed: the PIN goes again
                prepared.api.clear_pin(PinKind.AUTH)
            self.intents.open(  # committed before the CA is asked (services/reconcile.py)
                key=prepared.order_key,
                case_id=case_id,
                card_id=card.id,
                kinds=kinds,
                spki={k: proof.spki for k, proof in prepared.proofs.items()},
            )
            with self.uow_factory() as uow:
                case = self._case(uow, case_id)
                if case.state is CaseState.ISSUED:  # the same request, retried meanwhile
                    return self._issued_view(uow, case)
                resident, card, kinds_now, number = self._issue_checks(
                    uow, case, letter_number, lock=uow
                )
                if card.version != seen_version or kinds_now != eligible:
                    raise ConcurrentUpdate("card")
                today = self._today()
                opened = case.opened_at.replace(microsecond=0)  # notBefore has whole seconds
                if any(
                    rec.not_before >= opened and not settled(rec)
                    for rec in uow.pki.certificates_of_card(card.id)
                ):
                    raise ConcurrentUpdate("card")  # another terminal issued on it meanwhile
                card = uow.counter.update_card(card)  # the card's version moves every time
                result = self.cards.issue_on_card(
                    uow,
                    prepared=prepared,
                    card=card,
                    resident=resident,
                    kinds=kinds,
                    facts=self._facts_of(resident, case),
                )
                if case.abroad_sign and CertKind.SIGN in result.issued:  # R-ABROAD-2/3
                    serial = result.issued[CertKind.SIGN].serial_hex
                    card = uow.counter.update_card(replace(card, abroad_sign_serial=serial))
                fee = fee_on(today, config.fee_schedule, reason=case.fee_reason)  # R-FEE
                seq = uow.pki.next_value(f"receipt:{today:%Y%m%d}")
                receipt = f"RC{today:%Y%m%d}-{seq:05d}"
                if number:
                    uow.counter.mark_letter_used(number, self.clock())
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
                self.intents.close_in(uow, prepared.order_key)
                self.cards.commit_with(uow, result)
            return Issued(case, result.issued, result.superseded, fee.due, receipt)

    def _issue_checks(
        self,
        uow: ReadOnlyUnitOfWork,
        case: Case,
        letter_number: str | None,
        *,
        lock: UnitOfWork | None = None,
    ) -> tuple[Resident, Card, list[CertKind], str | None]:
        """What an issuance needs of the store, checked: the case's state and items, the
        letter (two visits), the renewal window; the resident, the card, the kinds due. With
        ``lock`` (the transaction that will write), the card and the letter rows are locked."""
        next_case_state(case.kind, case.state, CaseEvent.ISSUE)  # raises InvalidTransition
        procedure = PROCEDURES[case.kind.procedure]  # type: ignore[index]
        self._visit_complete(case, procedure.visits[-1].number)
        number = (
            self._check_letter(uow, case, letter_number, lock=lock)
            if procedure.two_visits
            else None
        )
        assert case.card_id is not None
        if is_renewal(case.kind):
            self._check_renewal_window(uow, case.card_id)
        resident = self._resident(uow, case.resident_id)
        today = self._today()
        card = (
            lock.counter.card(case.card_id, for_update=True)
            if lock
            else uow.counter.card(case.card_id)
        )
        assert card is not None
        kinds = eligible_kinds(resident, card, case, today)
        if case.abroad_sign:
            if not kinds:
                raise Refused("abroad_sign_not_eligible", "no sign certificate for this holder")
            move_out = resident.moved_abroad_on
            if case.kind is CaseKind.P2 and move_out is not None and today >= move_out:
                raise Refused(
                    "abroad_proxy_after_move_out", "a proxy's case must end before the move-out"
                )
        return resident, card, kinds, number

    def _check_letter(
        self,
        uow: ReadOnlyUnitOfWork,
        case: Case,
        letter_number: str | None,
        *,
        lock: UnitOfWork | None = None,
    ) -> str:
        if not letter_number:
            raise Refused("letter_required", "the second visit brings the inquiry letter")
        number = parse_letter_number(letter_number)
        letter = (
            lock.counter.letter(number, for_update=True) if lock else uow.counter.letter(number)
        )
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

    @staticmethod
    def _issued_view(uow: ReadOnlyUnitOfWork, case: Case) -> Issued:
        assert case.card_id is not None
        current = current_certificates(uow, case.card_id)
        return Issued(case, current, (), case.fee_due or 0, case.receipt_no or "")
