"""The store's reads for operators: schema revision, counts for /metrics, the newest CRLs
and checkpoints (services/ports/ops.py's OpsReader). Each is one indexed or grouped query;
none reads a whole large table but the first count of refusals of a process (afterwards only
the audit entries appended since)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import REFUSAL_KINDS, CrlFact, issue_counter
from madoguchi.store.checkpoint_repository import CheckpointRow
from madoguchi.store.counter_models import AuditRow
from madoguchi.store.db import alembic_config
from madoguchi.store.models import CertificateRow, CounterRow, CrlRow
from madoguchi.store.notice_models import NoticeRow


@cache
def head_revision() -> str:
    """The newest migration this code knows (Alembic's head)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


class StoreOpsQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def schema_revision(self) -> str | None:
        return MigrationContext.configure(self.session.connection()).get_current_revision()

    def issued(self) -> dict[str, int]:
        # the issuance sequence of each CA moves in the transaction of every issuance
        names = {issue_counter(k): k.value for k in CertKind}
        rows = self.session.execute(
            select(CounterRow.name, CounterRow.value).where(CounterRow.name.in_(names))
        )
        found = {names[name]: int(value) for name, value in rows}
        return {k.value: found.get(k.value, 0) for k in CertKind}

    def status_counts(self) -> list[tuple[str, str, int | None, int]]:
        c = CertificateRow
        rows = self.session.execute(
            select(c.kind, c.status, c.reason, func.count())
            .where(c.status.in_(("held", "revoked")))
            .group_by(c.kind, c.status, c.reason)
        )
        return [(k, s, r, int(n)) for k, s, r, n in rows]

    def newest_audit_seq(self) -> int:
        return int(self.session.scalar(select(func.max(AuditRow.seq))) or 0)

    def refusal_details(self, after: int, upto: int) -> list[tuple[str, str, int]]:
        a = AuditRow
        rows = self.session.execute(
            select(a.action, a.detail, func.count())
            .where(a.seq > after, a.seq <= upto, a.action.in_(REFUSAL_KINDS))
            .group_by(a.action, a.detail)
        )
        return [(action, detail or "", int(n)) for action, detail, n in rows]

    def audit_entry_at(self, seq: int) -> datetime | None:
        return self.session.scalar(select(AuditRow.at).where(AuditRow.seq == seq))

    def newest_checkpoint(self) -> tuple[int, datetime] | None:
        row = self.session.execute(
            select(CheckpointRow.seq, CheckpointRow.at).order_by(CheckpointRow.seq.desc()).limit(1)
        ).first()
        return (int(row[0]), row[1]) if row else None

    def notice_states(self) -> dict[str, int]:
        rows = self.session.execute(select(NoticeRow.state, func.count()).group_by(NoticeRow.state))
        return {state: int(n) for state, n in rows}

    def newest_crls(self) -> list[CrlFact]:
        newest = (
            select(CrlRow.kind, CrlRow.partition, func.max(CrlRow.number).label("number"))
            .group_by(CrlRow.kind, CrlRow.partition)
            .subquery()
        )
        rows = self.session.scalars(
            select(CrlRow)
            .join(
                newest,
                (CrlRow.kind == newest.c.kind)
                & (CrlRow.partition == newest.c.partition)
                & (CrlRow.number == newest.c.number),
            )
            .order_by(CrlRow.kind, CrlRow.partition)
        )
        return [
            CrlFact(
                r.kind,
                None if r.partition < 0 else r.partition,
                int(r.number),
                r.this_update,
                r.next_update,
                int(r.entries),
            )
            for r in rows
        ]
