"""Tables of the counter: the registry, cards, cases, inquiry letters and the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from madoguchi.store.models import Base
from madoguchi.store.types import UtcDateTime


class ResidentRow(Base):
    """住民基本台帳, the part we need; never a My Number."""

    __tablename__ = "residents"
    __table_args__ = (Index("ix_residents_name_birth", "name_kana", "birth"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(200))
    birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(8), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="resident")
    adult_ward: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_move_out: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)  # last registry change
    nationality: Mapped[str] = mapped_column(String(8), default="jp", server_default="jp")
    stay_until: Mapped[date | None] = mapped_column(Date)  # R-CARD-2: end of period of stay
    moved_abroad_on: Mapped[date | None] = mapped_column(Date)  # R-ABROAD: 国外転出の日
    fuhyo_address: Mapped[str | None] = mapped_column(String(200))  # R-ABROAD-3: 戸籍の附票
    version: Mapped[int] = mapped_column(Integer, default=1)


class CardRow(Base):
    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_expires", "expires"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    created: Mapped[date] = mapped_column(Date)
    expires: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # issue 16: R-CARD-2…4, R-ABROAD-1, R-FACE-1; the remarks field (追記欄) as a JSON list
    limited_by_stay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    extension_used: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    validity_changed_on: Mapped[date | None] = mapped_column(Date)
    face_auth: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    abroad_since: Mapped[date | None] = mapped_column(Date)
    remarks: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    abroad_sign_serial: Mapped[str | None] = mapped_column(String(40))  # R-ABROAD-2/3


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("idempotency_key"), Index("ix_cases_opened", "opened_at"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id"), index=True)
    office: Mapped[str] = mapped_column(String(32))
    clerk: Mapped[str] = mapped_column(String(64))
    terminal: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    applicant: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refusal: Mapped[str | None] = mapped_column(String(200))
    items: Mapped[str] = mapped_column(Text, default="{}")  # JSON: visit → item codes
    documents: Mapped[str] = mapped_column(Text, default="{}")  # JSON: role → document kinds
    issuing: Mapped[str | None] = mapped_column(Text)  # JSON journal of an issuance under way
    fee_due: Mapped[int | None] = mapped_column(Integer)
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    fee_reason: Mapped[str | None] = mapped_column(String(32))  # R-FEE: why the card is in hand
    abroad_sign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)


class CaseHistoryRow(Base):
    """Append-only history of every case transition (DESIGN.md convention 3)."""

    __tablename__ = "case_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    clerk: Mapped[str] = mapped_column(String(64))


class InquiryLetterRow(Base):
    """R-PROC-2: bound to one case and holder, mailed to the registered address, single use."""

    __tablename__ = "inquiry_letters"
    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    address: Mapped[str] = mapped_column(String(200))
    mailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Append-only, hash-chained: each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_case", "case_id"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    clerk: Mapped[str] = mapped_column(String(64))
    office: Mapped[str] = mapped_column(String(32))
    terminal: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(32))
    resident_id: Mapped[str | None] = mapped_column(String(32))
    certificate: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
