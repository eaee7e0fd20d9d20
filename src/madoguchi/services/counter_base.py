"""What every counter procedure shares: its dependencies, the case and resident it works on,
case transitions with their history and audit entries, the office check (R-PROC-0), and the
log of refusals the supervisor reads at day's end."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

from madoguchi.card.errors import CardError
from madoguchi.pki.errors import UnsupportedCharacter
from madoguchi.pki.facts import HolderFacts, certificate_fields
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseEvent, CaseKind, next_case_state
from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import RuleError, RuleInputError
from madoguchi.rules.items import Item
from madoguchi.rules.offices import office_by_code
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.procedures import PROCEDURES, Procedure, Purpose, evaluate_visit
from madoguchi.rules.validity import CertKind, renewal_offered
from madoguchi.services.audit import Actor, record
from madoguchi.services.cardside import CardSide
from madoguchi.services.domain import Case, Correctable, NotFound, Refused, Resident
from madoguchi.services.ports import Clock, ReadOnlyUnitOfWork, UnitOfWork, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority
from madoguchi.services.reconcile import IntentKeeper
from madoguchi.services.registry import RegistryService, current_certificates
from madoguchi.services.siteconfig import SiteConfig, SiteConfigService

log = logging.getLogger("madoguchi.counter")


def procedure_of(kind: CaseKind) -> Procedure | None:
    """The SPEC §4 procedure of a case kind (None for revocation, PIN reset, lost, found)."""
    return PROCEDURES[kind.procedure] if kind.procedure else None


def is_renewal(kind: CaseKind) -> bool:
    procedure = procedure_of(kind)
    return procedure is not None and procedure.purpose is Purpose.RENEWAL


def new_case_id() -> str:
    return "C" + secrets.token_hex(8).upper()


@dataclass(frozen=True, slots=True)
class Issued:
    case: Case
    certificates: dict[CertKind, CertRecord]
    superseded: tuple[CertRecord, ...]
    fee_due: int
    receipt_no: str


class PinFormatError(RuleInputError):
    """R-PIN-1: a malformed PIN; ``field`` names the input it was typed in."""

    def __init__(self, code: str, detail: str, field: str) -> None:
        super().__init__(code, detail)
        self.field = field


def checked_pin(kind: PinKind, value: str, *, field: str = "") -> str:
    """R-PIN-1, before the card sees the value (a malformed PIN costs no try)."""
    check = check_pin(kind, value)
    if not check.valid:
        assert check.problem is not None
        raise PinFormatError(f"pin_{check.problem.value}", check.problem.message, field)
    return check.normalized


#: what a refusal is: the rules, the card or the counter said no (logged for the supervisor)
REFUSALS = (Refused, RuleError, CardError, UnsupportedCharacter)


class CounterBase:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        *,
        ca: CertificateAuthority,
        registry: RegistryService,
        cards: CardSide,
        site: SiteConfigService,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.ca = ca
        self.registry = registry
        self.cards = cards
        self.site = site
        self.intents = IntentKeeper(uow_factory, clock, ca)

    # -- refusals ------------------------------------------------------------------------
    def record_refusal(
        self, actor: Actor, code: str, *, case_id: str | None = None, resident_id: str | None = None
    ) -> None:
        """Log a refusal the rules made (branch office, outside the window, …) for the
        supervisor's list of the day's refusals."""
        with self.uow_factory() as uow:
            record(
                uow,
                self.clock(),
                actor,
                "counter.refused",
                {"code": code},
                case_id=case_id,
                resident_id=resident_id,
            )
            uow.commit()

    @contextmanager
    def refusals_logged(
        self, actor: Actor, *, case_id: str | None = None, resident_id: str | None = None
    ) -> Iterator[None]:
        """Around a whole procedure step: a refusal of the rules, the card or the counter is
        logged (in a transaction of its own, once the step's has ended) and raised again.
        A slip corrected at once (:class:`Correctable`, a malformed input) is no refusal: it
        is raised without an entry in the refusals' list."""
        try:
            yield
        except (Correctable, RuleInputError) as exc:
            log.info("counter slip %s: %s", exc.code, exc)  # for the operators, not the list
            raise
        except REFUSALS as exc:
            self.record_refusal(actor, exc.code, case_id=case_id, resident_id=resident_id)
            raise

    # -- what a step reads ----------------------------------------------------------------
    def _today(self) -> date:
        return jst_date(self.clock())

    def _check_office(self, actor: Actor) -> SiteConfig:
        """R-PROC-0; returns the configuration in force, read before any transaction opens."""
        config = self.site.current()
        office = office_by_code(actor.office, config.offices)
        if not office.handles_certificates:
            raise Refused("branch_office", f"{office.code} does not handle certificates")
        return config

    @staticmethod
    def _case(uow: UnitOfWork, case_id: str) -> Case:
        case = uow.counter.case(case_id, for_update=True)
        if case is None:
            raise NotFound("unknown_case", f"no case {case_id}")
        return case

    @staticmethod
    def _read_case(uow: ReadOnlyUnitOfWork, case_id: str) -> Case:
        case = uow.counter.case(case_id)
        if case is None:
            raise NotFound("unknown_case", f"no case {case_id}")
        return case

    @staticmethod
    def _resident(uow: ReadOnlyUnitOfWork, resident_id: str) -> Resident:
        resident = uow.counter.resident(resident_id)
        if resident is None:
            raise NotFound("unknown_resident", f"no resident {resident_id}")
        return resident

    def _facts_of(self, resident: Resident, case: Case | None = None) -> HolderFacts:
        """The four facts of a signing certificate: the registry's, or — for the 国外転出者向け
        one (R-ABROAD-3) — with the address the 戸籍の附票 records."""
        if case is not None and case.abroad_sign and resident.fuhyo_address:
            return HolderFacts.create(
                resident.name, resident.gender, resident.birth, resident.fuhyo_address
            )
        return self.registry.facts(resident)

    def _check_certificate_text(self, resident: Resident, case: Case | None = None) -> None:
        """R-X509-2: the name and address can be written in the signing certificate (each
        character inside JIS X 0208/0212 or with a substitute); else UnsupportedCharacter,
        whose message names the character — before any key is made on the card."""
        certificate_fields(self._facts_of(resident, case))

    def _check_renewal_window(self, uow: ReadOnlyUnitOfWork, card_id: str) -> None:
        current = current_certificates(uow, card_id)
        if not current:
            raise Refused(
                "nothing_to_renew", "no certificate to renew: this is a new issuance (P1/P2)"
            )
        today = self._today()
        card = uow.counter.card(card_id)
        if card is not None and card.validity_changed_on == today:
            return  # R-CARD-3: the certificates are renewed at the validity change's visit
        if not any(renewal_offered(today, jst_date(r.not_after)) for r in current.values()):
            raise Refused("outside_window", "renewal opens three months before expiry (R-VAL-3)")

    def _visit_complete(self, case: Case, visit: int) -> None:
        procedure = PROCEDURES[case.kind.procedure]  # type: ignore[index]
        check = evaluate_visit(
            procedure.visit(visit), [Item(i) for i in case.items.get(str(visit), [])]
        )
        if not check.complete:
            missing = ",".join(r.options[0].value for r in check.missing)
            raise Refused("items_missing", missing)

    # -- what a step writes ---------------------------------------------------------------
    def _move(
        self, uow: UnitOfWork, case: Case, event: CaseEvent, actor: Actor, **changes: object
    ) -> Case:
        state = next_case_state(case.kind, case.state, event)
        now = self.clock()
        closed = now if state.final else case.closed_at
        updated = uow.counter.update_case(replace(case, state=state, closed_at=closed, **changes))  # type: ignore[arg-type]
        uow.counter.add_history(
            case.id, now, event.value, case.state.value, state.value, actor.clerk
        )
        self._audit(uow, actor, f"case.{event.value}", case=updated)
        return updated

    def _audit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        *,
        case: Case | None = None,
        resident_id: str | None = None,
        certificate: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        record(
            uow,
            self.clock(),
            actor,
            action,
            detail,
            case_id=case.id if case else None,
            resident_id=resident_id or (case.resident_id if case else None),
            certificate=certificate,
        )
