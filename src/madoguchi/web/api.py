"""The counter's JSON API under /api/v1, for counter software and scripts.

Every operation needs a staff API token (``Authorization: Bearer …``, issued by
``madoguchi staff token``); counter operations need the clerk role, ``/supervisor/…`` the
supervisor role. The API calls the same services as the staff pages, so the rules (R-PROC-0
branch offices, R-PROC-1 ID documents, R-PROC-2 letters, R-PIN-1 formats, …) are the same;
a refusal the rules make is logged for the supervisor's list of the day's refusals.

Errors are ``{"detail": "<english_code>", "message": "<日本語>"}`` (web/errors.py). PINs are
taken, checked and handed to the card; they are never returned, stored or logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from madoguchi.card.errors import CardError
from madoguchi.messages import MESSAGES
from madoguchi.pki.facts import normalize_text
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseEvent, CaseKind, CaseState, allowed_events
from madoguchi.rules.dates import JST, format_japanese, jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleError, RuleInputError
from madoguchi.rules.inquiry import parse_letter_number
from madoguchi.rules.items import IdDocumentKind, Item
from madoguchi.rules.offices import office_status
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.procedures import (
    PROCEDURES,
    Applicant,
    Procedure,
    Purpose,
    Step,
    Visit,
    checklist,
    evaluate_visit,
    select_procedure,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import AuditEntry
from madoguchi.services.domain import Card, Case, InquiryLetter, Resident, StaffRole
from madoguchi.services.errors import NotFound, Refused
from madoguchi.web.security import Forbidden, StaffContext, staff_context

T = TypeVar("T")

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL)
ID_MAX = 32  # residents, cases and cards (the store's key columns)
NAME_MAX = 100
PIN_MAX = 16
LETTER_MAX = 20
REASON_MAX = 64  # the store's refusal column holds 64 characters
KEY_MAX = 64
TOKEN_MAX = 256
AUDIT_LIMIT = 1000
UNEXPLAINED_REFUSAL = "この申請では、その操作はできません。"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)

# -- authentication ------------------------------------------------------------------------

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="staffToken",
    description="職員のAPIトークン（`madoguchi staff token` で発行）。Authorization: Bearer <token>",
)


def _unauthenticated() -> HTTPException:
    return HTTPException(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})


def api_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffContext:
    """The staff member behind the bearer token; 401 without a valid one."""
    token = credentials.credentials if credentials else ""
    if not token or len(token) > TOKEN_MAX:
        raise _unauthenticated()
    container = request.app.state.container
    account = container.staff.token_account(token)
    if account is None:
        raise _unauthenticated()
    return staff_context(container, account, None)


def _role(role: StaffRole) -> Callable[[StaffContext], StaffContext]:
    def dependency(ctx: Annotated[StaffContext, Depends(api_staff)]) -> StaffContext:
        if not ctx.may(role):
            raise Forbidden(role)
        return ctx

    return dependency


Clerk = Annotated[StaffContext, Depends(_role(StaffRole.CLERK))]
Supervisor = Annotated[StaffContext, Depends(_role(StaffRole.SUPERVISOR))]

# -- models --------------------------------------------------------------------------------

IdPath = Annotated[
    str,
    Path(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, examples=["C3F2A9B04D1E7C655"]),
]
CardIdPath = Annotated[
    str, Path(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, examples=["VC0123456789ABCDEF"])
]
LetterPath = Annotated[str, Path(min_length=1, max_length=LETTER_MAX, examples=["2026-000001-1"])]
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)]
Pin = Annotated[str, StringConstraints(min_length=1, max_length=PIN_MAX)]
DayQuery = Annotated[
    date | None,
    Query(description="JSTの日付（YYYY-MM-DD）。省略すると今日", examples=["2026-11-24"]),
]


class ApiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(BaseModel):
    loc: list[str | int]
    type: str


class ErrorOut(BaseModel):
    """Every error: an English code for programs and a Japanese message for people."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "branch_office",
                    "message": "この窓口では電子証明書の手続きはできません。…",
                }
            ]
        }
    )
    detail: str
    message: str
    errors: list[ErrorItem] | None = None


class ResidentOut(BaseModel):
    id: str
    name: str
    name_kana: str
    birth: date
    gender: str = Field(description="1 男, 2 女, 3 不明")
    address: str
    status: str = Field(description="resident / moved_out / deceased")
    adult_ward: bool


class CardOut(BaseModel):
    id: str
    resident_id: str
    created: date
    expires: date
    status: str = Field(description="active / lost / returned / replaced")


class CertificateOut(BaseModel):
    kind: CertKind
    serial: str = Field(description="serial number, lower-case hex", examples=["1a2b3c"])
    card_id: str | None
    not_before: datetime
    not_after: datetime
    expires_on: date = Field(description="有効期限（JSTの日付）")
    expires_on_japanese: str = Field(examples=["令和13年7月1日"])
    status: Literal["good", "held", "revoked", "expired"]


class CaseOut(BaseModel):
    id: str
    kind: CaseKind
    state: CaseState
    resident_id: str
    card_id: str | None
    applicant: Applicant
    office: str
    clerk: str
    terminal: str
    opened_at: datetime
    closed_at: datetime | None
    refusal: str | None
    items: dict[str, list[str]] = Field(description="visit number → item codes recorded")
    documents: dict[str, list[str]] = Field(description="holder / proxy → ID documents seen")
    fee_due: int | None
    receipt_no: str | None
    allowed_events: list[CaseEvent]


class RequirementOut(BaseModel):
    options: list[Item] = Field(description="any one of these")
    label: str
    optional: bool
    satisfied: bool


class VisitOut(BaseModel):
    number: int
    step: Step
    outcome: str
    requirements: list[RequirementOut]
    recorded: list[Item]
    complete: bool
    message: str


class ProcedureOut(BaseModel):
    id: str
    title: str
    purpose: Purpose
    applicant: Applicant
    visits: int


class LetterOut(BaseModel):
    number: str = Field(examples=["2026-000001-1"])
    case_id: str
    resident_id: str
    mailed_at: datetime | None
    used_at: datetime | None


class TransitionOut(BaseModel):
    event: str
    from_state: str
    to_state: str


class AuditOut(BaseModel):
    seq: int
    at: datetime
    clerk: str
    office: str
    terminal: str
    action: str
    case_id: str | None
    resident_id: str | None
    certificate: str | None
    detail: dict[str, Any]
    hash: str


class CaseDetail(BaseModel):
    case: CaseOut
    procedure: ProcedureOut | None
    next_visit: VisitOut | None = Field(description="the checklist of the visit to come")
    letters: list[LetterOut]
    transitions: list[TransitionOut]
    history: list[AuditOut]
    certificates: list[CertificateOut] = Field(description="current certificates of the card")


class ResidentDetail(BaseModel):
    resident: ResidentOut
    sign_eligible: bool = Field(description="R-ELIG-1: may get a signing certificate today")
    cards: list[CardOut]
    certificates: list[CertificateOut] = Field(description="current certificates per card")
    open_cases: list[CaseOut]


class ResidentList(BaseModel):
    residents: list[ResidentOut]


class CardDetail(BaseModel):
    card: CardOut
    resident: ResidentOut | None
    certificates: list[CertificateOut] = Field(description="every certificate of the card")


class CaseCreate(ApiIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "P1", "resident_id": "R0123456789ABCDEF", "idempotency_key": "T1-0001"}
            ]
        },
    )
    kind: CaseKind
    resident_id: Id
    idempotency_key: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=KEY_MAX, pattern=r"^[\x21-\x7e]+$")
        ]
        | None
    ) = Field(None, description="a retried request with the same key returns the same case")


class VisitIn(ApiIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": "1234"},
                {
                    "visit": 1,
                    "items": ["card", "proxy_id"],
                    "proxy_documents": ["drivers_license"],
                },
            ]
        },
    )
    visit: int = Field(1, ge=1, le=2)
    items: list[Item] = Field(min_length=1, max_length=len(Item))
    holder_documents: list[IdDocumentKind] = Field(
        default_factory=list, max_length=len(IdDocumentKind)
    )
    proxy_documents: list[IdDocumentKind] = Field(
        default_factory=list, max_length=len(IdDocumentKind)
    )
    juki_pin: Pin | None = Field(None, description="住民基本台帳用暗証番号, entered by the holder")


class IssueIn(ApiIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"sign_password": "ABC123", "auth_pin": "3333"},
                {"sign_password": "ABC123", "auth_pin": "3333", "letter_number": "2026-000001-1"},
            ]
        },
    )
    sign_password: Pin | None = Field(
        None, description="署名用 password, 6–16 of A–Z 0–9 (not for a holder under 15)"
    )
    auth_pin: Pin = Field(description="利用者証明用 PIN, 4 digits")
    letter_number: Annotated[str, StringConstraints(min_length=1, max_length=LETTER_MAX)] | None = (
        None
    )


class IssuedCertificateOut(BaseModel):
    kind: CertKind
    serial: str
    not_before: datetime
    not_after: datetime
    expires_on: date
    card_face_expiry: str = Field(
        description="to write in 電子証明書の有効期限 on the card's face (R-PROC-5)",
        examples=["令和13年7月1日"],
    )


class SupersededOut(BaseModel):
    kind: CertKind
    serial: str


class IssueOut(BaseModel):
    case: CaseOut
    certificates: list[IssuedCertificateOut]
    superseded: list[SupersededOut]
    fee_due: int
    receipt_no: str


class RefuseIn(ApiIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "本人確認書類がそろわないため"}]}
    )
    reason: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=REASON_MAX, pattern=TEXT_PATTERN
        ),
    ]


class RevokeIn(ApiIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kinds": ["sign"]}]})
    kinds: list[CertKind] = Field(min_length=1, max_length=2)


class PinResetIn(ApiIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"pin": "auth", "new_value": "4321"}]}
    )
    pin: PinKind
    new_value: Pin


class ChecklistItemOut(BaseModel):
    code: Item
    label: str
    note: str


class ChecklistVisitOut(BaseModel):
    number: int
    step: Step
    items: list[ChecklistItemOut]
    outcome: str


class ChecklistOut(BaseModel):
    procedure: ProcedureOut
    visits: list[ChecklistVisitOut]


class OfficeOut(BaseModel):
    code: str
    name: str
    desk: str
    handles_certificates: bool
    opens: str = Field(examples=["08:45"])
    closes: str = Field(examples=["17:30"])
    address: str
    phone: str
    open_now: bool
    next_open: datetime | None


class OfficesOut(BaseModel):
    offices: list[OfficeOut]
    your_office: str
    can_process_here: bool
    message: str


class RefusalOut(BaseModel):
    at: datetime
    clerk: str
    office: str
    terminal: str
    code: str = Field(description="the rule's code, or refused_by_clerk")
    reason: str | None = Field(description="the clerk's reason when a case was refused")
    case_id: str | None
    resident_id: str | None


class DayCasesOut(BaseModel):
    day: date
    cases: list[CaseOut]
    refusals: list[RefusalOut]


class DayAuditOut(BaseModel):
    day: date
    entries: list[AuditOut]
    truncated: bool


# -- conversions ---------------------------------------------------------------------------


def _jst(moment: datetime | None) -> datetime | None:
    return moment.astimezone(JST) if moment else None


def _resident_out(r: Resident) -> ResidentOut:
    return ResidentOut(
        id=r.id,
        name=r.name,
        name_kana=r.name_kana,
        birth=r.birth,
        gender=r.gender,
        address=r.address,
        status=r.status.value,
        adult_ward=r.adult_ward,
    )


def _card_out(c: Card) -> CardOut:
    return CardOut(
        id=c.id,
        resident_id=c.resident_id,
        created=c.created,
        expires=c.expires,
        status=c.status.value,
    )


def _cert_out(rec: CertRecord, today: date) -> CertificateOut:
    expires = jst_date(rec.not_after)
    return CertificateOut(
        kind=rec.kind,
        serial=rec.serial_hex,
        card_id=rec.card_id,
        not_before=rec.not_before.astimezone(JST),
        not_after=rec.not_after.astimezone(JST),
        expires_on=expires,
        expires_on_japanese=format_japanese(expires),
        status="expired" if expires < today else rec.status.value,
    )


def _case_out(c: Case) -> CaseOut:
    return CaseOut(
        id=c.id,
        kind=c.kind,
        state=c.state,
        resident_id=c.resident_id,
        card_id=c.card_id,
        applicant=c.applicant,
        office=c.office,
        clerk=c.clerk,
        terminal=c.terminal,
        opened_at=c.opened_at.astimezone(JST),
        closed_at=_jst(c.closed_at),
        refusal=c.refusal,
        items=dict(c.items),
        documents=dict(c.documents),
        fee_due=c.fee_due,
        receipt_no=c.receipt_no,
        allowed_events=list(allowed_events(c.kind, c.state)),
    )


def _letter_out(letter: InquiryLetter) -> LetterOut:
    return LetterOut(
        number=letter.number,
        case_id=letter.case_id,
        resident_id=letter.resident_id,
        mailed_at=_jst(letter.mailed_at),
        used_at=_jst(letter.used_at),
    )


def _audit_out(e: AuditEntry) -> AuditOut:
    return AuditOut(
        seq=e.seq,
        at=e.at.astimezone(JST),
        clerk=e.clerk,
        office=e.office,
        terminal=e.terminal,
        action=e.action,
        case_id=e.case_id,
        resident_id=e.resident_id,
        certificate=e.certificate,
        detail=dict(e.detail),
        hash=e.hash,
    )


def _procedure_out(p: Procedure) -> ProcedureOut:
    return ProcedureOut(
        id=p.id.value, title=p.title, purpose=p.purpose, applicant=p.applicant, visits=len(p.visits)
    )


def next_visit(case: Case) -> Visit | None:
    """The visit the case waits for: the second one once the inquiry letter went out."""
    if case.state.final or case.kind.procedure is None:
        return None
    procedure = PROCEDURES[case.kind.procedure]
    if procedure.two_visits and case.state is CaseState.AWAITING_REPLY:
        return procedure.visit(2)
    return procedure.visits[0]


def _visit_out(case: Case, visit: Visit) -> VisitOut:
    recorded = [Item(i) for i in case.items.get(str(visit.number), [])]
    check = evaluate_visit(visit, recorded)
    got = frozenset(recorded)
    return VisitOut(
        number=visit.number,
        step=visit.step,
        outcome=visit.outcome,
        requirements=[
            RequirementOut(
                options=list(r.options),
                label=r.label,
                optional=r.optional,
                satisfied=r.satisfied_by(got),
            )
            for r in visit.requirements
        ],
        recorded=recorded,
        complete=check.complete,
        message=check.message,
    )


def _today(request: Request) -> date:
    return jst_date(request.app.state.container.clock())


def _case_detail(request: Request, case_id: str) -> CaseDetail:
    c = request.app.state.container
    today = _today(request)
    with c.uow() as uow:
        case = uow.counter.case(case_id)
        if case is None:
            raise NotFound("unknown_case", f"no case {case_id}")
        current = c.registry.current_certificates(uow, case.card_id) if case.card_id else {}
        letters = uow.counter.letters_of_case(case.id)
        transitions = uow.counter.history(case.id)
        history = uow.counter.audit_of_case(case.id)
    procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
    visit = next_visit(case)
    return CaseDetail(
        case=_case_out(case),
        procedure=_procedure_out(procedure) if procedure else None,
        next_visit=_visit_out(case, visit) if visit else None,
        letters=[_letter_out(x) for x in letters],
        transitions=[TransitionOut(event=e, from_state=f, to_state=t) for e, f, t in transitions],
        history=[_audit_out(e) for e in history],
        certificates=[_cert_out(rec, today) for rec in current.values()],
    )


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleInputError("day_out_of_range", "日付は2000年から2999年までで指定してください。")
    start = datetime.combine(day, time(0), tzinfo=JST)
    return start, start + timedelta(days=1)


def _checked_pin(kind: PinKind, value: str) -> str:
    """R-PIN-1, before the card sees the value (a malformed PIN costs no try)."""
    check = check_pin(kind, value)
    if not check.valid:
        assert check.problem is not None
        raise RuleInputError(f"pin_{check.problem.value}", check.problem.message)
    return check.normalized


def _counter(
    request: Request,
    ctx: StaffContext,
    action: Callable[[], T],
    *,
    case_id: str | None = None,
    resident_id: str | None = None,
) -> T:
    """Run a counter operation; a refusal of the rules is logged for the supervisor."""
    try:
        return action()
    except (Refused, RuleError, CardError) as exc:
        request.app.state.container.counter.record_refusal(
            ctx.actor, exc.code, case_id=case_id, resident_id=resident_id
        )
        if exc.code not in MESSAGES:  # a person never reads the English detail
            exc.detail = UNEXPLAINED_REFUSAL
        raise


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorOut,
        "description": "no valid token (WWW-Authenticate: Bearer)",
    },
    403: {"model": ErrorOut, "description": "the role does not allow it"},
    404: {"model": ErrorOut, "description": "unknown resident, card, case or letter"},
    409: {"model": ErrorOut, "description": "refused by the rules (branch_office, …)"},
    422: {"model": ErrorOut, "description": "invalid request (detail invalid_request, …)"},
}

# -- routes --------------------------------------------------------------------------------


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", responses=ERRORS)
    counter_tag: list[str | Enum] = ["counter"]
    super_tag: list[str | Enum] = ["supervisor"]
    info_tag: list[str | Enum] = ["reference"]

    # -- residents and cards ---------------------------------------------------------------
    @r.get("/residents", tags=counter_tag)
    def search_residents(
        request: Request,
        ctx: Clerk,
        name: Annotated[
            str | None,
            Query(max_length=NAME_MAX, pattern=TEXT_PATTERN, description="氏名またはカナの一部"),
        ] = None,
        birth: Annotated[date | None, Query(description="生年月日")] = None,
    ) -> ResidentList:
        """Find residents by (part of) name or kana and/or date of birth; at most 50."""
        wanted = normalize_text(name) if name else ""
        if not wanted and birth is None:
            raise RuleInputError(
                "search_criteria_required", "氏名または生年月日を指定してください。"
            )
        with request.app.state.container.uow() as uow:
            found = uow.counter.find_residents(name=wanted or None, birth=birth, limit=50)
        return ResidentList(residents=[_resident_out(x) for x in found])

    @r.get("/residents/{resident_id}", tags=counter_tag)
    def get_resident(request: Request, ctx: Clerk, resident_id: IdPath) -> ResidentDetail:
        """A resident with cards, current certificates and open cases."""
        c = request.app.state.container
        today = _today(request)
        with c.uow() as uow:
            person = uow.counter.resident(resident_id)
            if person is None:
                raise NotFound("unknown_resident", f"no resident {resident_id}")
            cards = uow.counter.cards_of(person.id)
            certs = [
                _cert_out(rec, today)
                for card in reversed(cards)
                for rec in c.registry.current_certificates(uow, card.id).values()
            ]
            cases = [k for k in uow.counter.cases_of_resident(person.id) if not k.state.final]
        sign = eligibility(
            CertKind.SIGN, birth=person.birth, on=today, adult_ward=person.adult_ward
        )
        return ResidentDetail(
            resident=_resident_out(person),
            sign_eligible=sign.eligible,
            cards=[_card_out(x) for x in cards],
            certificates=certs,
            open_cases=[_case_out(k) for k in cases],
        )

    @r.get("/cards/{card_id}", tags=counter_tag)
    def get_card(request: Request, ctx: Clerk, card_id: CardIdPath) -> CardDetail:
        """A card with every certificate it has held."""
        c = request.app.state.container
        today = _today(request)
        with c.uow() as uow:
            card = uow.counter.card(card_id)
            if card is None:
                raise NotFound("unknown_card", f"no card {card_id}")
            person = uow.counter.resident(card.resident_id)
            records = uow.pki.certificates_of_card(card.id)
        return CardDetail(
            card=_card_out(card),
            resident=_resident_out(person) if person else None,
            certificates=[_cert_out(rec, today) for rec in records],
        )

    # -- cases -----------------------------------------------------------------------------
    @r.post("/cases", status_code=201, tags=counter_tag)
    def open_case(request: Request, ctx: Clerk, body: CaseCreate) -> CaseDetail:
        """Open a case (R-PROC-0: not at a branch office; R-PROC-3: renewal window).

        A retried request with the same ``idempotency_key`` returns the same case."""
        c = request.app.state.container

        def act() -> Case:
            case: Case = c.counter.open_case(
                kind=body.kind,
                resident_id=body.resident_id,
                actor=ctx.actor,
                idempotency_key=body.idempotency_key,
            )
            if case.kind is not body.kind or case.resident_id != body.resident_id:
                raise Refused("idempotency_conflict", "この再送キーは別の申請に使われています。")
            return case

        case = _counter(request, ctx, act, resident_id=body.resident_id)
        return _case_detail(request, case.id)

    @r.get("/cases/{case_id}", tags=counter_tag)
    def get_case(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """A case with the checklist of its next visit, its letters and its history."""
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/visits", tags=counter_tag)
    def record_visit(request: Request, ctx: Clerk, case_id: IdPath, body: VisitIn) -> CaseDetail:
        """Record what the person brought (R-PROC-1); ``holder_pin`` is checked on the card."""
        c = request.app.state.container

        def act() -> None:
            pin = _checked_pin(PinKind.JUKI, body.juki_pin) if body.juki_pin else None
            with c.uow() as uow:
                case = uow.counter.case(case_id)
            if case is not None:
                procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
                if body.visit > (len(procedure.visits) if procedure else 1):
                    raise RuleInputError("no_such_visit", f"no visit {body.visit}")
            c.counter.record_visit(
                case_id,
                visit=body.visit,
                items=body.items,
                holder_documents=body.holder_documents,
                proxy_documents=body.proxy_documents,
                juki_pin=pin,
                actor=ctx.actor,
            )

        _counter(request, ctx, act, case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/inquiry-letter", status_code=201, tags=counter_tag)
    def mail_inquiry_letter(request: Request, ctx: Clerk, case_id: IdPath) -> LetterOut:
        """P2/P5 after a complete first visit: the inquiry letter to the registered address."""
        c = request.app.state.container
        letter = _counter(
            request, ctx, lambda: c.counter.mail_inquiry_letter(case_id, ctx.actor), case_id=case_id
        )
        return _letter_out(letter)

    @r.post("/cases/{case_id}/issue", tags=counter_tag)
    def issue(request: Request, ctx: Clerk, case_id: IdPath, body: IssueIn) -> IssueOut:
        """Issue the certificates: PINs set, keys generated on the card, the expiry to write
        on the card's face, fee and receipt (R-PROC-4, R-PROC-5). A retry answers the same."""
        c = request.app.state.container
        today = _today(request)

        def act() -> Any:
            auth = _checked_pin(PinKind.AUTH, body.auth_pin)
            sign = _checked_pin(PinKind.SIGN, body.sign_password) if body.sign_password else None
            if sign is None:
                with c.uow() as uow:
                    case = uow.counter.case(case_id)
                    person = uow.counter.resident(case.resident_id) if case else None
                if (
                    person is not None
                    and eligibility(
                        CertKind.SIGN, birth=person.birth, on=today, adult_ward=person.adult_ward
                    ).eligible
                ):
                    raise RuleInputError(
                        "sign_password_required",
                        "署名用電子証明書の暗証番号（英数字6〜16文字）を入力してください。",
                    )
            return c.counter.issue(
                case_id,
                sign_password=sign or "",
                auth_pin=auth,
                letter_number=body.letter_number,
                actor=ctx.actor,
            )

        done = _counter(request, ctx, act, case_id=case_id)
        certs = sorted(done.certificates.values(), key=lambda rec: rec.kind.value, reverse=True)
        return IssueOut(
            case=_case_out(done.case),
            certificates=[
                IssuedCertificateOut(
                    kind=rec.kind,
                    serial=rec.serial_hex,
                    not_before=rec.not_before.astimezone(JST),
                    not_after=rec.not_after.astimezone(JST),
                    expires_on=jst_date(rec.not_after),
                    card_face_expiry=format_japanese(jst_date(rec.not_after)),
                )
                for rec in certs
            ],
            superseded=[SupersededOut(kind=x.kind, serial=x.serial_hex) for x in done.superseded],
            fee_due=done.fee_due,
            receipt_no=done.receipt_no,
        )

    @r.post("/cases/{case_id}/refuse", tags=counter_tag)
    def refuse(request: Request, ctx: Clerk, case_id: IdPath, body: RefuseIn) -> CaseDetail:
        """Close the case as refused, with the reason told to the person."""
        c = request.app.state.container
        _counter(
            request, ctx, lambda: c.counter.refuse(case_id, body.reason, ctx.actor), case_id=case_id
        )
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/cancel", tags=counter_tag)
    def cancel(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """Cancel the case (the person withdrew)."""
        c = request.app.state.container
        _counter(request, ctx, lambda: c.counter.cancel(case_id, ctx.actor), case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/revoke", tags=counter_tag)
    def revoke(request: Request, ctx: Clerk, case_id: IdPath, body: RevokeIn) -> CaseDetail:
        """R-REV-3: revoke certificates at the holder's request (a ``revocation`` case)."""
        c = request.app.state.container
        _counter(
            request,
            ctx,
            lambda: c.counter.revoke_on_request(case_id, body.kinds, ctx.actor),
            case_id=case_id,
        )
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/card-event", tags=counter_tag)
    def card_event(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """R-REV-3: a lost card (certificates held) or a lost card found (revoked)."""
        c = request.app.state.container
        _counter(request, ctx, lambda: c.counter.card_event(case_id, ctx.actor), case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/pin-reset", tags=counter_tag)
    def pin_reset(request: Request, ctx: Clerk, case_id: IdPath, body: PinResetIn) -> CaseDetail:
        """R-PIN-2: reset a locked PIN; the case must have the holder's photo ID recorded."""
        c = request.app.state.container

        def act() -> None:
            value = _checked_pin(body.pin, body.new_value)
            c.counter.reset_pin(case_id, body.pin, value, ctx.actor)

        _counter(request, ctx, act, case_id=case_id)
        return _case_detail(request, case_id)

    @r.get("/letters/{number}", tags=counter_tag)
    def get_letter(request: Request, ctx: Clerk, number: LetterPath) -> CaseDetail:
        """The case of an inquiry letter (R-PROC-2), scanned or typed at the second visit."""
        canonical = parse_letter_number(number)
        with request.app.state.container.uow() as uow:
            letter = uow.counter.letter(canonical)
        if letter is None:
            raise NotFound("letter_unknown", f"no inquiry letter {canonical}")
        return _case_detail(request, letter.case_id)

    # -- reference -------------------------------------------------------------------------
    @r.get("/checklist", tags=info_tag)
    def get_checklist(
        ctx: Clerk,
        purpose: Purpose,
        applicant: Applicant,
        notice: bool = False,
        pin_known: bool = False,
    ) -> ChecklistOut:
        """What to bring (SPEC §4): the procedure P1–P5 and the items of each visit."""
        procedure = select_procedure(purpose, applicant, notice=notice)
        visits = checklist(procedure, pin_known=pin_known, notice=notice)
        return ChecklistOut(
            procedure=_procedure_out(procedure),
            visits=[
                ChecklistVisitOut(
                    number=v.number,
                    step=v.step,
                    items=[ChecklistItemOut(code=i, label=i.label, note=i.note) for i in v.items],
                    outcome=v.outcome,
                )
                for v in visits
            ],
        )

    @r.get("/offices", tags=info_tag)
    def get_offices(request: Request, ctx: Clerk) -> OfficesOut:
        """The offices, their hours and whether they handle certificates (R-PROC-0)."""
        c = request.app.state.container
        config = c.site.current()
        now = c.clock()
        out = []
        for office in config.offices:
            status = office_status(office, now, config.calendar)
            out.append(
                OfficeOut(
                    code=office.code,
                    name=office.name,
                    desk=office.desk,
                    handles_certificates=office.handles_certificates,
                    opens=office.opens.strftime("%H:%M"),
                    closes=office.closes.strftime("%H:%M"),
                    address=office.address,
                    phone=office.phone,
                    open_now=status.open,
                    next_open=status.next_open,
                )
            )
        return OfficesOut(
            offices=out,
            your_office=ctx.office.code,
            can_process_here=ctx.status.can_process,
            message=ctx.status.message,
        )

    # -- the supervisor ----------------------------------------------------------------------
    @r.get("/supervisor/cases", tags=super_tag)
    def day_cases(request: Request, ctx: Supervisor, day: DayQuery = None) -> DayCasesOut:
        """The cases opened on a JST day and the day's refusals (by the rules or a clerk)."""
        when = day or _today(request)
        start, end = _day_bounds(when)
        with request.app.state.container.uow() as uow:
            cases = uow.counter.cases_between(start, end)
            entries = uow.counter.audit_between(start, end, limit=AUDIT_LIMIT)
            refused = {k.id: k for k in cases if k.state is CaseState.REFUSED}
            for e in entries:
                if e.action == "case.refuse" and e.case_id and e.case_id not in refused:
                    found = uow.counter.case(e.case_id)
                    if found is not None:
                        refused[found.id] = found
        refusals = [
            RefusalOut(
                at=e.at.astimezone(JST),
                clerk=e.clerk,
                office=e.office,
                terminal=e.terminal,
                code=str(e.detail.get("code", ""))
                if e.action == "counter.refused"
                else "refused_by_clerk",
                reason=refused[e.case_id].refusal
                if e.action == "case.refuse" and e.case_id in refused
                else None,
                case_id=e.case_id,
                resident_id=e.resident_id,
            )
            for e in reversed(entries)
            if e.action in ("counter.refused", "case.refuse")
        ]
        return DayCasesOut(day=when, cases=[_case_out(k) for k in cases], refusals=refusals)

    @r.get("/supervisor/audit", tags=super_tag)
    def day_audit(request: Request, ctx: Supervisor, day: DayQuery = None) -> DayAuditOut:
        """The audit trail of a JST day, newest first (at most 1000 entries)."""
        when = day or _today(request)
        start, end = _day_bounds(when)
        with request.app.state.container.uow() as uow:
            entries = uow.counter.audit_between(start, end, limit=AUDIT_LIMIT + 1)
        return DayAuditOut(
            day=when,
            entries=[_audit_out(e) for e in entries[:AUDIT_LIMIT]],
            truncated=len(entries) > AUDIT_LIMIT,
        )

    return r
