"""The audit checkpoints' table and the two facts of the audit log they need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from madoguchi.services.domain import StoredCheckpoint
from madoguchi.store.counter_models import AuditRow
from madoguchi.store.models import Base
from madoguchi.store.types import UtcDateTime


class CheckpointRow(Base):
    __tablename__ = "audit_checkpoints"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def last_entry(self) -> tuple[int, str] | None:
        row = self.session.execute(
            select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    def entry_hash(self, seq: int) -> str | None:
        return self.session.scalar(select(AuditRow.hash).where(AuditRow.seq == seq))

    def exists(self, seq: int) -> bool:
        return self.session.get(CheckpointRow, seq) is not None

    def add(self, seq: int, hash_: str, at: datetime, signature: bytes) -> None:
        self.session.add(CheckpointRow(seq=seq, hash=hash_, at=at, signature=signature))

    def all(self) -> list[StoredCheckpoint]:
        rows = self.session.scalars(select(CheckpointRow).order_by(CheckpointRow.seq))
        return [StoredCheckpoint(r.seq, r.hash, r.at, r.signature) for r in rows]
