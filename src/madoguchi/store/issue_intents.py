"""The registration authority's issuance intents (issue 17): mixed into the counter's
repository."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.rules.validity import CertKind
from madoguchi.services.ports import IssueIntent
from madoguchi.store.models import IssueIntentRow


def _intent(row: IssueIntentRow) -> IssueIntent:
    spki = {}
    for item in filter(None, row.spki.split(",")):
        kind, _, value = item.partition(":")
        spki[CertKind(kind)] = bytes.fromhex(value)
    return IssueIntent(
        row.key,
        row.case_id,
        row.card_id,
        tuple(CertKind(k) for k in row.kinds.split(",") if k),
        spki,
        row.opened_at,
        row.closed_at,
        row.outcome,
        row.detail,
    )


class IssueIntents:
    session: Session

    def open_issue_intents(self, opened_before: datetime | None = None) -> list[IssueIntent]:
        query = select(IssueIntentRow).where(IssueIntentRow.closed_at.is_(None))
        if opened_before is not None:
            query = query.where(IssueIntentRow.opened_at <= opened_before)
        return [_intent(r) for r in self.session.scalars(query.order_by(IssueIntentRow.opened_at))]

    def issue_intent(self, key: str) -> IssueIntent | None:
        row = self.session.get(IssueIntentRow, key)
        return None if row is None else _intent(row)

    def add_issue_intent(self, intent: IssueIntent) -> None:
        self.session.add(
            IssueIntentRow(
                key=intent.key,
                case_id=intent.case_id,
                card_id=intent.card_id,
                kinds=",".join(k.value for k in intent.kinds),
                spki=",".join(f"{k.value}:{v.hex()}" for k, v in intent.spki.items()),
                opened_at=intent.opened_at,
                closed_at=None,
                outcome=None,
                detail=None,
            )
        )
        self.session.flush()

    def close_issue_intent(
        self, key: str, outcome: str, at: datetime, detail: str | None = None
    ) -> None:
        row = self.session.get(IssueIntentRow, key, with_for_update=True)
        if row is None:
            return
        row.closed_at, row.outcome, row.detail = at, outcome, (detail or None)
        self.session.flush()
