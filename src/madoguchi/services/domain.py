"""The counter's domain objects (what repositories return; never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.procedures import Applicant


class ResidentStatus(StrEnum):
    RESIDENT = "resident"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"  # certificates held (一時保留)
    RETURNED = "returned"
    REPLACED = "replaced"


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


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    resident_id: str
    created: date
    expires: date
    status: CardStatus
    version: int = 1


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
    documents: dict[str, list[str]] = field(default_factory=dict)  # holder/proxy → kinds
    issuing: dict[str, Any] | None = None
    fee_due: int | None = None
    receipt_no: str | None = None
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
