"""Tables of the staff side: accounts, login sessions, API tokens, site settings, and the
card-renewal applications residents send through the expiry notice's QR code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from madoguchi.store.models import Base
from madoguchi.store.types import UtcDateTime


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the login name
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    office: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class StaffSessionRow(Base):
    """A browser login; only the SHA-256 of the cookie's token is kept."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_staff", "staff_id"),)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("staff.id", name="fk_staff_sessions_staff")
    )
    csrf: Mapped[str] = mapped_column(String(64))
    terminal: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiTokenRow(Base):
    """A terminal's bearer token for /api/v1; only the SHA-256 is kept."""

    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("staff.id", name="fk_api_tokens_staff")
    )
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # issue 14, item 5: every token expires (migration 0007 dates the older ones)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SiteSettingRow(Base):
    """Configuration the admin edits on screen (offices, closures, fee schedule), as JSON."""

    __tablename__ = "site_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class CardRenewalApplicationRow(Base):
    """A card-renewal application sent from the expiry notice's QR code (R-NOTICE-2)."""

    __tablename__ = "card_renewal_applications"
    __table_args__ = (Index("ix_card_renewal_applications_card", "card_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(32))
    card_expires: Mapped[str] = mapped_column(String(10))
    contact: Mapped[str] = mapped_column(String(200))
    receive_at: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16), default="received")
