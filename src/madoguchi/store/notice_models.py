"""Tables of the expiry-notice campaigns (SPEC.md §6): campaigns, notices, print batches and
the append-only trace of every notice's state changes (R-NOTICE-4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from madoguchi.store.models import Base
from madoguchi.store.types import UtcDateTime


class CampaignRow(Base):
    __tablename__ = "notice_campaigns"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_from: Mapped[date] = mapped_column(Date)  # expiries on or after
    window_to: Mapped[date] = mapped_column(Date)  # expiries on or before
    state: Mapped[str] = mapped_column(String(16), default="active")  # active, paused
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)


class NoticeRow(Base):
    """One notice per holder's card per campaign, covering everything that expires."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("campaign_id", "card_id"),
        Index("ix_notices_queue", "campaign_id", "state", "first_expiry", "number"),
        Index("ix_notices_batch", "batch_id"),
        Index("ix_notices_resident", "resident_id"),
    )
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("notice_campaigns.id", name="fk_notices_campaign")
    )
    resident_id: Mapped[str] = mapped_column(String(32))
    card_id: Mapped[str] = mapped_column(String(32))
    items: Mapped[str] = mapped_column(
        Text
    )  # JSON: [{"what": sign|auth|card, "serial", "expires"}]
    first_expiry: Mapped[date] = mapped_column(Date)
    card_expires: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    batch_id: Mapped[str | None] = mapped_column(String(32))
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NoticeEventRow(Base):
    """Append-only trace: every state change of every notice, with its reason and batch."""

    __tablename__ = "notice_events"
    __table_args__ = (Index("ix_notice_events_number", "number"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))


class BatchRow(Base):
    """A print batch: one PDF and one CSV manifest for the print vendor."""

    __tablename__ = "notice_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("notice_campaigns.id", name="fk_notice_batches_campaign")
    )
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # open (being written), done, handed_over
    notices: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handed_over_by: Mapped[str | None] = mapped_column(String(64))
