"""Repository of the expiry-notice campaigns. Planning reads the expiry indexes of
certificates and cards (a range scan), never the whole tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.rules.notices import BatchState, CampaignState, NoticeState
from madoguchi.services.domain import (
    Batch,
    Campaign,
    Notice,
    NoticeItem,
    NoticeTrace,
)
from madoguchi.store.notice_models import BatchRow, CampaignRow, NoticeEventRow, NoticeRow
from madoguchi.store.notice_planning import NoticePlanning
from madoguchi.store.repositories import core, next_counter


def _campaign(r: CampaignRow) -> Campaign:
    return Campaign(
        r.id,
        r.window_from,
        r.window_to,
        CampaignState(r.state),
        r.created_at,
        r.created_by,
        r.version,
    )


def _items(text: str) -> tuple[NoticeItem, ...]:
    return tuple(
        NoticeItem(i["what"], i.get("serial"), date.fromisoformat(i["expires"]))
        for i in json.loads(text)
    )


def _notice(r: NoticeRow) -> Notice:
    return Notice(
        number=r.number,
        campaign_id=r.campaign_id,
        resident_id=r.resident_id,
        card_id=r.card_id,
        items=_items(r.items),
        first_expiry=r.first_expiry,
        card_expires=r.card_expires,
        state=NoticeState(r.state),
        reason=r.reason,
        batch_id=r.batch_id,
        planned_at=r.planned_at,
        changed_at=r.changed_at,
    )


def _batch(r: BatchRow) -> Batch:
    return Batch(
        r.id,
        r.campaign_id,
        r.seq,
        BatchState(r.state),
        r.notices,
        r.created_at,
        r.done_at,
        r.pdf_sha256,
        r.pages,
        r.handed_over_at,
        r.handed_over_by,
    )


class NoticeRepository(NoticePlanning):
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- campaigns ---------------------------------------------------------------------------
    def campaign(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        stmt = select(CampaignRow).where(CampaignRow.id == campaign_id)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _campaign(row) if row else None

    def campaigns(self) -> list[Campaign]:
        rows = self.session.scalars(select(CampaignRow).order_by(CampaignRow.created_at.desc()))
        return [_campaign(r) for r in rows]

    def add_campaign(self, c: Campaign) -> None:
        self.session.add(
            CampaignRow(
                id=c.id,
                window_from=c.window_from,
                window_to=c.window_to,
                state=c.state.value,
                created_at=c.created_at,
                created_by=c.created_by,
                version=c.version,
            )
        )
        self.session.flush()

    def update_campaign(self, c: Campaign) -> None:
        self.session.execute(
            update(CampaignRow)
            .where(CampaignRow.id == c.id)
            .values(
                state=c.state.value,
                window_from=c.window_from,
                window_to=c.window_to,
                version=c.version + 1,
            )
        )

    # -- planning: candidates() is NoticePlanning's -------------------------------------
    def noticed_cards(self, campaign_id: str, card_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(card_ids), 500):
            out |= set(
                self.session.scalars(
                    select(NoticeRow.card_id).where(
                        NoticeRow.campaign_id == campaign_id,
                        NoticeRow.card_id.in_(card_ids[i : i + 500]),
                    )
                )
            )
        return out

    def reserve_numbers(self, name: str, n: int) -> int:
        """Reserve ``n`` consecutive numbers of counter ``name``; returns the first."""
        return next_counter(self.session, name, n) - n + 1

    def add_notices(self, notices: Iterable[Notice], actor: str) -> int:
        rows = [
            {
                "number": n.number,
                "campaign_id": n.campaign_id,
                "resident_id": n.resident_id,
                "card_id": n.card_id,
                "items": json.dumps(
                    [
                        {"what": i.what, "serial": i.serial, "expires": i.expires.isoformat()}
                        for i in n.items
                    ]
                ),
                "first_expiry": n.first_expiry,
                "card_expires": n.card_expires,
                "state": n.state.value,
                "reason": None,
                "batch_id": None,
                "planned_at": n.planned_at,
                "changed_at": n.changed_at,
            }
            for n in notices
        ]
        if rows:
            # Core executemany (no ORM bulk bookkeeping: half the time for thousands of
            # notices, bench/notices_bench.py); nothing in the session holds these rows
            conn = core(self.session)
            conn.execute(insert(cast(Table, NoticeRow.__table__)), rows)
            conn.execute(
                insert(cast(Table, NoticeEventRow.__table__)),
                [
                    {
                        "number": r["number"],
                        "at": r["planned_at"],
                        "event": "plan",
                        "from_state": None,
                        "to_state": r["state"],
                        "detail": None,
                        "actor": actor,
                    }
                    for r in rows
                ],
            )
        return len(rows)

    # -- notices -----------------------------------------------------------------------------
    def notice(self, number: str, *, for_update: bool = False) -> Notice | None:
        stmt = select(NoticeRow).where(NoticeRow.number == number)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _notice(row) if row else None

    def next_queued(self, campaign_id: str, limit: int, offset: int = 0) -> list[Notice]:
        """Planned notices not yet in a batch, in expiry order (locked for this batch)."""
        stmt = (
            select(NoticeRow)
            .where(
                NoticeRow.campaign_id == campaign_id,
                NoticeRow.state == NoticeState.PLANNED.value,
                NoticeRow.batch_id.is_(None),
            )
            .order_by(NoticeRow.first_expiry, NoticeRow.number)
            .offset(offset)
            .limit(limit)
        )
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return [_notice(r) for r in self.session.scalars(stmt)]

    def in_batch(self, batch_id: str) -> list[Notice]:
        rows = self.session.scalars(
            select(NoticeRow)
            .where(NoticeRow.batch_id == batch_id)
            .order_by(NoticeRow.first_expiry, NoticeRow.number)
        )
        return [_notice(r) for r in rows]

    def with_state(
        self, campaign_id: str | None, state: NoticeState, limit: int = 1000
    ) -> list[Notice]:
        stmt = select(NoticeRow).where(NoticeRow.state == state.value)
        if campaign_id:
            stmt = stmt.where(NoticeRow.campaign_id == campaign_id)
        rows = self.session.scalars(
            stmt.order_by(NoticeRow.first_expiry, NoticeRow.number).limit(limit)
        )
        return [_notice(r) for r in rows]

    def notices_of_resident(self, resident_id: str) -> list[Notice]:
        rows = self.session.scalars(select(NoticeRow).where(NoticeRow.resident_id == resident_id))
        return [_notice(r) for r in rows]

    def set_state(
        self,
        numbers: Sequence[str],
        *,
        from_state: NoticeState,
        to_state: NoticeState,
        event: str,
        at: datetime,
        actor: str,
        reason: str | None = None,
        batch_id: str | None = None,
        clear_batch: bool = False,
    ) -> int:
        """Move notices that are in ``from_state``; returns how many moved (others are left)."""
        moved = 0
        for i in range(0, len(numbers), 500):
            chunk = list(numbers[i : i + 500])
            values: dict[str, object] = {"state": to_state.value, "changed_at": at}
            if reason is not None:
                values["reason"] = reason
            if batch_id is not None:
                values["batch_id"] = batch_id
            if clear_batch:
                values["batch_id"] = None
            changed = list(
                self.session.scalars(
                    update(NoticeRow)
                    .where(NoticeRow.number.in_(chunk), NoticeRow.state == from_state.value)
                    .values(**values)
                    .returning(NoticeRow.number)
                )
            )
            if changed:
                self.session.execute(
                    insert(NoticeEventRow),
                    [
                        {
                            "number": n,
                            "at": at,
                            "event": event,
                            "from_state": from_state.value,
                            "to_state": to_state.value,
                            "detail": reason or batch_id,
                            "actor": actor,
                        }
                        for n in changed
                    ],
                )
            moved += len(changed)
        return moved

    def assign_batch(self, numbers: Sequence[str], batch_id: str) -> None:
        for i in range(0, len(numbers), 500):
            self.session.execute(
                update(NoticeRow)
                .where(NoticeRow.number.in_(numbers[i : i + 500]))
                .values(batch_id=batch_id)
            )

    def counts(self, campaign_id: str) -> dict[str, int]:
        rows = self.session.execute(
            select(NoticeRow.state, func.count())
            .where(NoticeRow.campaign_id == campaign_id)
            .group_by(NoticeRow.state)
        )
        return {state: int(n) for state, n in rows}

    def events(self, number: str) -> list[NoticeTrace]:
        rows = self.session.execute(
            select(
                NoticeEventRow.at,
                NoticeEventRow.event,
                NoticeEventRow.from_state,
                NoticeEventRow.to_state,
                NoticeEventRow.detail,
                NoticeEventRow.actor,
            )
            .where(NoticeEventRow.number == number)
            .order_by(NoticeEventRow.id)
        )
        return [NoticeTrace(*r) for r in rows]

    # -- batches -----------------------------------------------------------------------------
    def add_batch(self, b: Batch) -> None:
        self.session.add(
            BatchRow(
                id=b.id,
                campaign_id=b.campaign_id,
                seq=b.seq,
                state=b.state.value,
                notices=b.notices,
                created_at=b.created_at,
            )
        )
        self.session.flush()

    def batch(self, batch_id: str) -> Batch | None:
        row = self.session.get(BatchRow, batch_id)
        return _batch(row) if row else None

    def batches(self, campaign_id: str) -> list[Batch]:
        rows = self.session.scalars(
            select(BatchRow).where(BatchRow.campaign_id == campaign_id).order_by(BatchRow.seq)
        )
        return [_batch(r) for r in rows]

    def open_batches(self, campaign_id: str) -> list[Batch]:
        rows = self.session.scalars(
            select(BatchRow)
            .where(BatchRow.campaign_id == campaign_id, BatchRow.state == BatchState.OPEN.value)
            .order_by(BatchRow.seq)
        )
        return [_batch(r) for r in rows]

    def hand_over_batch(self, batch_id: str, *, at: datetime, by: str) -> None:
        self.session.execute(
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(state=BatchState.HANDED_OVER.value, handed_over_at=at, handed_over_by=by)
        )

    def finish_batch(
        self, batch_id: str, *, notices: int, at: datetime, sha256: str, pages: int
    ) -> None:
        self.session.execute(
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(
                state=BatchState.DONE.value,
                notices=notices,
                done_at=at,
                pdf_sha256=sha256,
                pages=pages,
            )
        )
