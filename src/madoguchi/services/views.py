"""The read side (cosmicpython's views): what the counter's pages, the API and the CLI show.

Each function answers one screen's question in one read-only unit of work and returns plain
data; a route or a command only parses its input, calls one of these (or one service step)
and renders. Nothing here writes, and nothing here waits for a writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseKind, CaseState, current_visit
from madoguchi.rules.dates import JST, jst_date
from madoguchi.rules.inquiry import parse_letter_number
from madoguchi.rules.items import IdRole
from madoguchi.rules.procedures import Procedure, Visit
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind, renewal_offered
from madoguchi.services.audit import ChainReport, verify_chain
from madoguchi.services.counter_base import procedure_of
from madoguchi.services.counter_documents import RoleDocuments, visit_documents
from madoguchi.services.counter_issue import (
    default_kinds,
    eligible_kinds,
    replaces_by_default,
    valid_kinds,
)
from madoguchi.services.domain import (
    REFUSED_BY_CLERK,
    REFUSED_BY_RULE,
    AuditEntry,
    Card,
    CardRenewalApplication,
    CardStatus,
    Case,
    InquiryLetter,
    NotFound,
    Notice,
    Resident,
    ResidentStatus,
)
from madoguchi.services.ports import Clock, UowFactory
from madoguchi.services.registry import current_certificates


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The JST day as a half-open range of moments."""
    start = datetime.combine(day, time(0), tzinfo=JST)
    return start, start + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CaseWithName:
    case: Case
    resident: Resident | None


@dataclass(frozen=True, slots=True)
class ResidentView:
    resident: Resident
    cards: list[Card]
    certificates: dict[str, list[CertRecord]]  # card id → every certificate it has held
    current: dict[str, dict[CertKind, CertRecord]]  # card id → its current certificates
    open_cases: list[Case]
    errands: list[CaseKind] = field(default_factory=list)  # the errands that apply today


def applicable_errands(
    person: Resident, cards: list[Card], current: dict[str, dict[CertKind, CertRecord]], on: date
) -> list[CaseKind]:
    """The errands a clerk is offered for a resident (issue 15: no renewal without a
    certificate in its window, no "found" for a card not lost, nothing for a resident who
    moved out or died — the services refuse those anyway)."""
    if person.status is not ResidentStatus.RESIDENT:
        return []
    active = [c for c in cards if c.status is CardStatus.ACTIVE]
    lost = any(c.status is CardStatus.LOST for c in cards)
    out: list[CaseKind] = []
    if active:
        certs = current.get(active[-1].id, {})
        renewable = any(
            rec.status is CertStatus.GOOD and renewal_offered(on, jst_date(rec.not_after))
            for rec in certs.values()
        )
        out += [CaseKind.P1, CaseKind.P2]
        if renewable:
            out += [CaseKind.P3, CaseKind.P4, CaseKind.P5]
        if certs:
            out.append(CaseKind.REVOCATION)
        out += [CaseKind.PIN_RESET, CaseKind.CARD_LOST]
    if lost:
        out.append(CaseKind.CARD_FOUND)
    return out


_HIRAGANA = {c: c + 0x60 for c in range(ord("ぁ"), ord("ゖ") + 1)}


def katakana(text: str) -> str:
    """Hiragana typed in a search (はくりんだい) as the registry keeps kana (ハクリンダイ)."""
    return text.translate(_HIRAGANA)


@dataclass(frozen=True, slots=True)
class CardView:
    card: Card
    resident: Resident | None
    certificates: list[CertRecord]


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    resident: Resident | None
    card: Card | None
    current: dict[CertKind, CertRecord]  # the card's current certificates
    letters: list[InquiryLetter]
    transitions: list[tuple[str, str, str]]
    history: list[AuditEntry]
    procedure: Procedure | None
    visit: Visit | None  # the visit the case is on (rules.cases.current_visit)
    eligible: list[CertKind] = field(default_factory=list)  # kinds the holder may get
    default_kinds: list[CertKind] = field(default_factory=list)  # ticked when offered
    valid_kinds: list[CertKind] = field(default_factory=list)  # with a valid certificate
    staff_names: dict[str, str] = field(default_factory=dict)  # login → the person's name

    @property
    def documents(self) -> dict[int, dict[IdRole, RoleDocuments]]:
        """The ID documents checked at each visit, with their verdict (R-ID)."""
        return visit_documents(self.case)

    @property
    def issued(self) -> list[CertRecord]:
        """The certificates this case issued (not before the case was opened)."""
        opened = self.case.opened_at.replace(microsecond=0)  # notBefore has whole seconds
        return sorted(
            (rec for rec in self.current.values() if rec.not_before >= opened),
            key=lambda r: r.kind.value,
            reverse=True,
        )


@dataclass(frozen=True, slots=True)
class SupervisorDay:
    day: date
    cases: list[CaseWithName]
    trail: list[AuditEntry]  # newest first
    refusals: list[AuditEntry]  # by the rules and by clerks, newest first
    clerk_reasons: dict[str, str | None]  # case id → the reason a clerk gave
    chain: ChainReport | None
    applications: list[CardRenewalApplication]
    staff_names: dict[str, str] = field(default_factory=dict)  # login → the person's name
    trail_total: int = 0  # the day's entries before the filters


class CounterViews:
    def __init__(self, uow_factory: UowFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def today(self) -> date:
        return jst_date(self.clock())

    # -- the counter ------------------------------------------------------------------------
    def clerks_day(self, clerk: str, day: date) -> list[CaseWithName]:
        """The cases a clerk opened on a day (the counter's first screen)."""
        start, end = day_bounds(day)
        with self.uow_factory.read_only() as uow:
            cases = [k for k in uow.counter.cases_between(start, end) if k.clerk == clerk]
            return [CaseWithName(k, uow.counter.resident(k.resident_id)) for k in cases]

    def find_residents(
        self, *, name: str | None, birth: date | None, limit: int = 50
    ) -> list[Resident]:
        """By (part of) the name or the kana — hiragana typed is read as katakana too — and/or
        the date of birth."""
        with self.uow_factory.read_only() as uow:
            found = uow.counter.find_residents(name=name, birth=birth, limit=limit)
            if name and katakana(name) != name:
                more = uow.counter.find_residents(name=katakana(name), birth=birth, limit=limit)
                seen = {r.id for r in found}
                found += [r for r in more if r.id not in seen]
            return found[:limit]

    def case_of_letter(self, number: str) -> str:
        """The case an inquiry letter belongs to (R-PROC-2); RuleInputError for a malformed
        number, NotFound('letter_unknown') for one never mailed."""
        canonical = parse_letter_number(number)
        with self.uow_factory.read_only() as uow:
            letter = uow.counter.letter(canonical)
        if letter is None:
            raise NotFound("letter_unknown", f"no inquiry letter {canonical}")
        return letter.case_id

    def card(self, card_id: str) -> CardView:
        with self.uow_factory.read_only() as uow:
            card = uow.counter.card(card_id)
            if card is None:
                raise NotFound("unknown_card", f"no card {card_id}")
            return CardView(
                card,
                uow.counter.resident(card.resident_id),
                uow.pki.certificates_of_card(card.id),
            )

    def resident(self, resident_id: str) -> ResidentView:
        with self.uow_factory.read_only() as uow:
            person = uow.counter.resident(resident_id)
            if person is None:
                raise NotFound("unknown_resident", f"no resident {resident_id}")
            cards = uow.counter.cards_of(person.id)
            view = ResidentView(
                person,
                cards,
                {card.id: uow.pki.certificates_of_card(card.id) for card in cards},
                {card.id: current_certificates(uow, card.id) for card in cards},
                [k for k in uow.counter.cases_of_resident(person.id) if not k.state.final],
            )
        return replace(view, errands=applicable_errands(person, cards, view.current, self.today()))

    def case(self, case_id: str) -> CaseView:
        with self.uow_factory.read_only() as uow:
            case = uow.counter.case(case_id)
            if case is None:
                raise NotFound("unknown_case", f"no case {case_id}")
            person = uow.counter.resident(case.resident_id)
            current = current_certificates(uow, case.card_id) if case.card_id else {}
            today = self.today()
            card = uow.counter.card(case.card_id) if case.card_id else None
            eligible = eligible_kinds(person, card, case, today) if person is not None else []
            view = CaseView(
                case=case,
                resident=person,
                card=card,
                current=current,
                eligible=eligible,
                default_kinds=default_kinds(
                    eligible, current, renewal=replaces_by_default(case), on=today
                ),
                valid_kinds=sorted(valid_kinds(current, today)),
                staff_names={a.id: a.name for a in uow.staff.accounts()},
                letters=uow.counter.letters_of_case(case.id),
                transitions=uow.counter.history(case.id),
                history=uow.counter.audit_of_case(case.id),
                procedure=procedure_of(case.kind),
                visit=current_visit(case.kind, case.state, (int(v) for v in case.items)),
            )
        return view

    # -- the supervisor ---------------------------------------------------------------------
    def supervisor_day(
        self,
        day: date,
        *,
        trail_limit: int = 500,
        verify: bool = True,
        clerk: str | None = None,
        actions: Sequence[str] | None = None,
    ) -> SupervisorDay:
        """The day's cases, refusals and audit trail, the chain verified (with ``verify``),
        and the newest card-renewal applications. ``clerk`` (a login) and ``actions`` (prefixes
        of action codes, ``case.``) filter the audit trail; the refusals are never filtered."""
        start, end = day_bounds(day)
        with self.uow_factory.read_only() as uow:
            cases = [
                CaseWithName(k, uow.counter.resident(k.resident_id))
                for k in uow.counter.cases_between(start, end)
            ]
            whole = uow.counter.audit_between(start, end, limit=trail_limit)
            trail = [
                e
                for e in whole
                if (clerk is None or e.clerk == clerk)
                and (actions is None or e.action.startswith(tuple(actions)))
            ]
            refusals = [e for e in whole if e.action in (REFUSED_BY_RULE, REFUSED_BY_CLERK)]
            reasons = {
                e.case_id: k.refusal
                for e in refusals
                if e.action == REFUSED_BY_CLERK and e.case_id
                if (k := uow.counter.case(e.case_id)) is not None
            }
            chain = verify_chain(uow.counter.audit_entries()) if verify else None
            applications = uow.staff.applications(limit=50)
            names = {a.id: a.name for a in uow.staff.accounts()}
        return SupervisorDay(
            day, cases, trail, refusals, reasons, chain, applications, names, len(whole)
        )

    def audit_chain(self) -> ChainReport:
        """The whole audit log's hash chain, verified (``madoguchi audit verify``)."""
        with self.uow_factory.read_only() as uow:
            return verify_chain(uow.counter.audit_entries())

    def audit_of_day(self, day: date, limit: int) -> list[AuditEntry]:
        start, end = day_bounds(day)
        with self.uow_factory.read_only() as uow:
            return uow.counter.audit_between(start, end, limit=limit)

    # -- notices ----------------------------------------------------------------------------
    def returned_notices(self) -> list[tuple[Notice, Resident | None]]:
        """The notices the post office returned, with their holders (the follow-up list)."""
        from madoguchi.rules.notices import NoticeState

        with self.uow_factory.read_only() as uow:
            return [
                (n, uow.counter.resident(n.resident_id))
                for n in uow.notices.with_state(None, NoticeState.RETURNED)
            ]

    # -- the demo ---------------------------------------------------------------------------
    def residents_with_certificates(
        self, resident_ids: Sequence[str]
    ) -> list[tuple[Resident, list[CertRecord]]]:
        """Residents as they are now, with every certificate of their cards."""
        with self.uow_factory.read_only() as uow:
            out = []
            for rid in resident_ids:
                person = uow.counter.resident(rid)
                if person is None:
                    continue
                records = [
                    rec
                    for card in uow.counter.cards_of(rid)
                    for rec in uow.pki.certificates_of_card(card.id)
                ]
                out.append((person, records))
            return out


def is_closed(case: Case) -> bool:
    return case.state.final or case.state is CaseState.ISSUED
