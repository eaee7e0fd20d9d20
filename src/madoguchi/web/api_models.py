"""The JSON API's request and response models (pydantic), with their limits and examples."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from madoguchi.rules.cases import CaseEvent, CaseKind, CaseState
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.id_documents import IdDocument
from madoguchi.rules.items import IdDocumentKind, IdRole, Item
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import (
    Applicant,
    Purpose,
    Step,
)
from madoguchi.rules.validity import CertKind
from madoguchi.web.api_documents import DOCUMENTS_HELP, KINDS_HELP, DocumentsOut

T = TypeVar("T")

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL)
ID_MAX = 32  # residents, cases and cards (the store's key columns)
NAME_MAX = 100
PIN_MAX = 16
LETTER_MAX = 20
REASON_MAX = 200  # the store's refusal column holds 200 characters
KEY_MAX = 64
TOKEN_MAX = 256
AUDIT_LIMIT = 1000  # entries the supervisor's audit view returns
DAY_ENTRIES = 100_000  # entries read to find a day's refusals
UNEXPLAINED_REFUSAL = "この申請では、その操作はできません。"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


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
    field: str | None = Field(None, description="the input the error concerns (juki_pin, …)")


class ResidentOut(BaseModel):
    id: str
    name: str
    name_kana: str
    birth: date
    gender: str = Field(description="1 男, 2 女, 3 不明")
    address: str
    postal_code: str | None = Field(
        default=None, description="郵便番号 080-0015; null when the registry has none"
    )
    status: str = Field(description="resident / moved_out / deceased")
    adult_ward: bool


class CardOut(BaseModel):
    id: str
    resident_id: str
    created: date
    expires: date
    status: str = Field(description="active / lost / returned / replaced / lapsed")
    limited_by_stay: bool = Field(False, description="R-CARD-2: ends with the period of stay")
    face_auth: bool = Field(False, description="R-FACE-1: a face-authentication card")
    abroad_since: date | None = Field(None, description="R-ABROAD-1: in continued use abroad")
    remarks: list[str] = Field(default_factory=list, description="the remarks field (追記欄)")


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
    documents: dict[str, dict[IdRole, DocumentsOut]] = Field(description="visit → role → R-ID")
    fee_due: int | None
    receipt_no: str | None
    fee_reason: FeeReason | None = Field(None, description="R-FEE: why the card is in hand")
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
    fee_reason: FeeReason | None = Field(None, description="R-FEE: why the card is in hand")
    moved_abroad_on: date | None = Field(None, description="for abroad_reissue_90d")


class VisitIn(ApiIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": "1234"},
                {"visit": 1, "items": ["card"], "holder_documents": ["driver_license"]},
                {
                    "visit": 1,
                    "items": ["card", "proxy_id"],
                    "proxy_documents": ["qualification_certificate", "pension_document"],
                    "proxy_name": "帯広 花子",
                },
            ]
        },
    )
    visit: int = Field(1, ge=1, le=2)
    items: list[Item] = Field(min_length=1, max_length=len(Item))
    holder_documents: list[IdDocument | IdDocumentKind] = Field(  # the holder_id item
        default_factory=list, max_length=len(IdDocument), description=DOCUMENTS_HELP
    )
    proxy_documents: list[IdDocument | IdDocumentKind] = Field(
        default_factory=list, max_length=len(IdDocument)
    )
    proxy_name: Annotated[str, StringConstraints(max_length=NAME_MAX)] | None = Field(
        None, description="the proxy's name as on the ID document (needed with proxy_documents)"
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
    auth_pin: Pin | None = Field(None, description="利用者証明用 PIN, 4 digits, when issued")
    kinds: list[CertKind] | None = Field(None, max_length=2, description=KINDS_HELP)
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
