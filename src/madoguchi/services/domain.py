"""The domain objects: what repositories return (never ORM rows) and services pass around.

The store imports these and the ports (services/ports.py), nothing else of the services.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.notices import BatchState, CampaignState, NoticeState
from madoguchi.rules.procedures import Applicant
from madoguchi.rules.validity import CertKind

# -- errors (DESIGN.md convention 6): stable English codes, with data ---------------------------


class ServiceError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class NotFound(ServiceError):
    pass


class Refused(ServiceError):
    """The counter refuses: the code names the rule (under_15, outside_window, …).

    ``field`` names the input the refusal concerns (the page shows the message beside it);
    ``params`` fill the message's placeholders (the tries left, the reason of an ID check)."""

    def __init__(self, code: str, detail: str, *, field: str = "", **params: object) -> None:
        super().__init__(code, detail)
        self.field = field
        self.params = params


class Correctable(Refused):
    """A slip the person corrects at once — a mistyped PIN, a value left out: shown beside
    its field, never logged as a refusal (the supervisor's list counts real refusals only)."""


class CaUnavailable(ServiceError):
    """The CA service could not be reached or answered nothing usable (issue 17): nothing was
    issued or revoked that this counter knows of. Codes: ``ca_unreachable`` (no connection,
    a time-out), ``ca_refused_credentials`` (the TLS handshake refused this counter's
    credential), ``ca_error`` (an answer that is not the API's)."""


class ConcurrentUpdate(ServiceError):
    """Another terminal changed the same case or card first; reload and try again."""

    def __init__(self, what: str) -> None:
        super().__init__("concurrent_update", f"{what} was changed by another terminal")


# -- names the CA and the store share ---------------------------------------------------------
def status_counter(kind: CertKind) -> str:
    """The counter every hold and revocation of the CA of ``kind`` moves (OCSP, CRLs)."""
    return f"status-gen:{kind.value}"


def issue_counter(kind: CertKind) -> str:
    """The counter every issuance of the CA of ``kind`` moves (its certificates' sequence)."""
    return f"issue-seq:{kind.value}"


#: the audit actions of a refusal: by the rules (logged by the services) and by a clerk
REFUSED_BY_RULE, REFUSED_BY_CLERK = "counter.refused", "case.refuse"
REFUSAL_KINDS = {REFUSED_BY_RULE: "rule", REFUSED_BY_CLERK: "clerk"}


#: the hash before the first audit entry
GENESIS = "0" * 64


class ResidentStatus(StrEnum):
    RESIDENT = "resident"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"  # certificates held (一時保留)
    RETURNED = "returned"
    REPLACED = "replaced"
    LAPSED = "lapsed"  # R-ABROAD-1: lapsed at a move abroad without continued use


@dataclass(frozen=True, slots=True)
class Resident:
    id: str
    name: str
    name_kana: str
    birth: date
    gender: str
    address: str
    status: ResidentStatus
    adult_ward: bool
    planned_move_out: date | None
    changed_at: datetime
    version: int = 1
    postal_code: str = ""  # 080-0015; "" when the registry has none (rows before issue 15)
    nationality: str = "jp"  # jp or foreign (R-ABROAD-1, R-CARD-2)
    stay_until: date | None = None  # R-CARD-2: the end of the period of stay, if any
    moved_abroad_on: date | None = None  # R-ABROAD: the move-out date abroad (戸籍の附票)
    fuhyo_address: str = ""  # R-ABROAD-3: the address the 戸籍の附票 records ("": none)


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    resident_id: str
    created: date
    expires: date
    status: CardStatus
    version: int = 1
    limited_by_stay: bool = False  # R-CARD-2: the expiry is the end of the period of stay
    extension_used: bool = False  # R-CARD-4: the special extension is used once
    validity_changed_on: date | None = None  # R-CARD-3: the day of the last validity change
    face_auth: bool = False  # R-FACE-1: 顔認証マイナンバーカード (no PINs, no sign)
    abroad_since: date | None = None  # R-ABROAD-1: in continued use abroad since the move-out
    remarks: tuple[str, ...] = ()  # the card's remarks field (追記欄), in order
    abroad_sign_serial: str | None = None  # R-ABROAD-3: the 国外転出者向け sign certificate


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    kind: CaseKind
    resident_id: str
    card_id: str | None
    office: str
    clerk: str
    terminal: str
    state: CaseState
    applicant: Applicant
    opened_at: datetime
    closed_at: datetime | None = None
    refusal: str | None = None
    items: dict[str, list[str]] = field(default_factory=dict)  # visit number → item codes
    #: visit number → role (holder/proxy) → the ID documents checked, their verdict and the
    #: proxy's name (services/counter_documents.py; rows before issue 15: role → codes)
    documents: dict[str, Any] = field(default_factory=dict)
    issuing: dict[str, Any] | None = None
    fee_due: int | None = None
    receipt_no: str | None = None
    fee_reason: FeeReason | None = None  # R-FEE: why the card is in hand (None: not said)
    abroad_sign: bool = False  # R-ABROAD-3: the 国外転出者向け sign certificate is issued
    idempotency_key: str | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class InquiryLetter:
    number: str
    case_id: str
    resident_id: str
    address: str
    mailed_at: datetime | None
    used_at: datetime | None


class StaffRole(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"clerk": 1, "supervisor": 2, "admin": 3}[self.value]

    @property
    def label(self) -> str:
        return {"clerk": "窓口職員", "supervisor": "監督者", "admin": "管理者"}[self.value]


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str  # the login name
    name: str
    role: StaffRole
    office: str
    password_hash: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    version: int = 1

    def may(self, role: StaffRole) -> bool:
        """Roles are ordered: a supervisor may do what a clerk may, an admin everything."""
        return self.role.rank >= StaffRole(role).rank


@dataclass(frozen=True, slots=True)
class StaffSession:
    token_hash: str
    staff_id: str
    csrf: str
    terminal: str
    created_at: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class CardRenewalApplication:
    id: str
    card_id: str
    card_expires: date
    contact: str
    receive_at: str  # the office code where the new card is received
    submitted_at: datetime
    state: str = "received"


# -- the audit log --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    clerk: str
    office: str
    terminal: str
    action: str
    case_id: str | None
    resident_id: str | None
    certificate: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def canonical_detail(detail: Mapping[str, Any]) -> str:
    return json.dumps(
        detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of every field but the hash itself."""
    body = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "clerk": entry.clerk,
        "office": entry.office,
        "terminal": entry.terminal,
        "action": entry.action,
        "case_id": entry.case_id,
        "resident_id": entry.resident_id,
        "certificate": entry.certificate,
        "detail": canonical_detail(entry.detail),
        "prev_hash": entry.prev_hash,
    }
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed audit checkpoint as the store keeps it (services/checkpoints.py)."""

    seq: int
    hash: str
    at: datetime
    signature: bytes


# -- the CA's own records -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredAuthority:
    kind: CertKind
    cert_der: bytes
    key_ref: str


@dataclass(frozen=True, slots=True)
class StoredResponder:
    kind: CertKind
    cert_der: bytes
    key_pem: bytes
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class CrlFact:
    """The newest CRL of a CA's partition (``partition`` None: the full CRL)."""

    kind: str
    partition: int | None
    number: int
    this_update: datetime
    next_update: datetime
    entries: int


@dataclass(frozen=True, slots=True)
class CachedOcsp:
    der: bytes
    produced_at: datetime
    next_update: datetime


# -- expiry notices (SPEC.md §6) --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NoticeItem:
    what: str  # sign, auth or card
    serial: str | None  # the certificate's serial (hex); None for the card
    expires: date


@dataclass(frozen=True, slots=True)
class Candidate:
    resident_id: str
    card_id: str
    card_expires: date
    items: tuple[NoticeItem, ...]
    limited_by_stay: bool = False  # R-NOTICE-5: the card's expiry is the end of the stay


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    window_from: date
    window_to: date
    state: CampaignState
    created_at: datetime
    created_by: str
    version: int = 1


@dataclass(frozen=True, slots=True)
class Notice:
    number: str
    campaign_id: str
    resident_id: str
    card_id: str
    items: tuple[NoticeItem, ...]
    first_expiry: date
    card_expires: date
    state: NoticeState
    reason: str | None
    batch_id: str | None
    planned_at: datetime
    changed_at: datetime


class NoticeTrace(NamedTuple):
    """One state change of a notice (R-NOTICE-4)."""

    at: datetime
    event: str
    from_state: str | None
    to_state: str
    detail: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    campaign_id: str
    seq: int
    state: BatchState
    notices: int
    created_at: datetime
    done_at: datetime | None
    pdf_sha256: str | None
    pages: int | None
    handed_over_at: datetime | None = None  # the print vendor took the files
    handed_over_by: str | None = None


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A staff API token as listed (its hash's first characters, never the token)."""

    ref: str
    label: str
    created_at: datetime
    revoked: bool
    expires_at: datetime
