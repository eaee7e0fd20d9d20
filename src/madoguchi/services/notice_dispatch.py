"""Dispatching expiry notices in print batches (R-NOTICE-3).

Batches go in expiry order; right before a notice goes into a batch the holder is checked
again (renewed, moved away, died, card no longer valid → ``suppressed`` with the reason). A
batch is written as one PDF and one CSV manifest to temporary files, renamed into place, and
only then marked done with its notices ``sent``: a process killed mid-batch leaves the batch
``open``, and the next run writes the same batch again (checked again) — nothing is sent twice
and nothing is lost.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import chain, repeat
from pathlib import Path
from typing import BinaryIO, Protocol

from madoguchi.rules.dates import jst_date
from madoguchi.rules.notices import (
    BatchEvent,
    BatchState,
    CampaignState,
    NoticeEvent,
    NoticeState,
    SuppressionReason,
    late_by_pause,
    needs_card_renewal_qr,
    next_batch_state,
    next_notice_state,
    suppression_reason,
)
from madoguchi.rules.offices import Office
from madoguchi.services.audit import Actor, record
from madoguchi.services.domain import (
    Batch,
    Campaign,
    NotFound,
    Notice,
    NoticeItem,
    Refused,
)
from madoguchi.services.failpoints import failpoint
from madoguchi.services.notice_books import HolderBook, ResidentsBook
from madoguchi.services.ports import Clock, MunicipalityCounter, UnitOfWork, UowFactory
from madoguchi.services.spreadsheet import SpreadsheetSafeWriter


@dataclass(frozen=True, slots=True)
class NoticeContent:
    """What the printed notice says (the letters layer turns it into a page)."""

    number: str
    issued_on: date
    name: str
    address: str
    items: tuple[NoticeItem, ...]
    card_expires: date
    card_renewal_url: str | None
    office: Office
    deferred: bool = False  # a pause made it late: the letter apologises (R-NOTICE-3)
    postal_code: str = ""
    #: the holder's municipality's counter, where to renew (national campaigns, R-NAT-2);
    #: None: ``office``, this counter's own
    renewal_counter: MunicipalityCounter | None = None
    sender: tuple[str, ...] = ()  # who sends it, a line each (the CA operator); (): the mayor


class NoticePrinter(Protocol):
    def __call__(self, contents: Iterable[NoticeContent], out: BinaryIO) -> int: ...


@dataclass(frozen=True, slots=True)
class DispatchResult:
    batches: tuple[Batch, ...]
    sent: int
    suppressed: int
    paused: bool


def move_notices(
    uow: UnitOfWork,
    numbers: Sequence[str],
    event: NoticeEvent,
    from_state: NoticeState,
    *,
    at: datetime,
    actor: str,
    reason: str | None = None,
    batch_id: str | None = None,
    clear_batch: bool = False,
) -> int:
    """Move the notices that are in ``from_state`` by ``event``, to the state the rules'
    transition table gives (R-NOTICE-4); returns how many moved."""
    return uow.notices.set_state(
        numbers,
        from_state=from_state,
        to_state=next_notice_state(from_state, event),
        event=event.value,
        at=at,
        actor=actor,
        reason=reason,
        batch_id=batch_id,
        clear_batch=clear_batch,
    )


class NoticeDispatch:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        printer: NoticePrinter,
        out_dir: Path,
        renewal_link: Callable[[str, date], str],
        office: Callable[[], Office],
        *,
        book: HolderBook | None = None,
        sender: tuple[str, ...] = (),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.printer = printer
        self.out_dir = out_dir
        self.renewal_link = renewal_link
        self.office = office
        self.book: HolderBook = book or ResidentsBook()
        self.sender = sender

    def _audit(self, uow: UnitOfWork, actor: Actor, action: str, detail: dict[str, object]) -> None:
        record(uow, self.clock(), actor, action, detail)

    @staticmethod
    def _campaign(uow: UnitOfWork, campaign_id: str) -> Campaign:
        campaign = uow.notices.campaign(campaign_id, for_update=True)
        if campaign is None:
            raise NotFound("unknown_campaign", f"no campaign {campaign_id}")
        return campaign

    # -- dispatch ----------------------------------------------------------------------------
    def _check(self, uow: UnitOfWork, notice: Notice) -> SuppressionReason | None:
        """R-NOTICE-3: is the holder still to be told, right now?"""
        return suppression_reason(self.book.at_dispatch(uow, notice))

    def _content(
        self, uow: UnitOfWork, notice: Notice, today: date, office: Office
    ) -> NoticeContent:
        to = self.book.mail_to(uow, notice)
        last = max(i.expires for i in notice.items)
        url = (
            self.renewal_link(notice.card_id, notice.card_expires)
            if self.book.renewal_links and needs_card_renewal_qr(notice.card_expires, last)
            else None
        )
        deferred = any(e.event == NoticeEvent.DEFER for e in uow.notices.events(notice.number))
        return NoticeContent(
            notice.number,
            today,
            to.name,
            to.address,
            notice.items,
            notice.card_expires,
            url,
            office,
            late_by_pause(deferred=deferred, first_expiry=notice.first_expiry, dispatched_on=today),
            to.postal_code,
            renewal_counter=to.counter,
            sender=self.sender,
        )

    def batch_dir(self, campaign_id: str) -> Path:
        return self.out_dir / campaign_id

    def batch_files(self, batch: Batch) -> tuple[Path, Path]:
        d = self.batch_dir(batch.campaign_id)
        return d / f"{batch.id}.pdf", d / f"{batch.id}.csv"

    def dispatch(
        self,
        campaign_id: str,
        actor: Actor,
        *,
        batch_size: int = 500,
        max_batches: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> DispatchResult:
        """Send the planned notices in print batches (finishing any batch a crash left open)."""
        if batch_size < 1:
            raise Refused("bad_batch_size", "a batch holds at least one notice")
        done: list[Batch] = []
        sent = suppressed = 0
        with self.uow_factory.read_only() as reader:
            campaign = reader.notices.campaign(campaign_id)
            if campaign is None:
                raise NotFound("unknown_campaign", f"no campaign {campaign_id}")
            reopened = reader.notices.open_batches(campaign_id)
        if campaign.state is CampaignState.PAUSED:
            return DispatchResult((), 0, 0, True)
        pending: Iterator[Batch | None] = chain(reopened, repeat(None))  # crash leftovers first
        while max_batches is None or len(done) < max_batches:
            batch = next(pending)
            batch, kept, dropped = self._fill(campaign_id, actor, batch, batch_size)
            suppressed += dropped
            if batch is None:  # nothing left to send
                break
            if not kept:
                self._finish(batch, [], actor, b"", 0)
                continue
            failpoint("notices.before_write")
            pdf, pages = self._write(batch, kept)
            failpoint("notices.after_write")
            finished = self._finish(batch, kept, actor, pdf, pages)
            done.append(finished)
            sent += len(kept)
            if progress:
                progress(len(kept) + dropped)
        return DispatchResult(tuple(done), sent, suppressed, False)

    def _fill(
        self, campaign_id: str, actor: Actor, batch: Batch | None, size: int
    ) -> tuple[Batch | None, list[NoticeContent], int]:
        """One transaction: pick (or re-check) the batch's notices, suppress the renewed.

        A new batch is filled up to ``size`` notices that are still to be sent, in expiry
        order; a batch left open by a crash is checked again as it is. No empty batch is made.
        """
        now = self.clock()
        today = jst_date(now)
        office = self.office()
        kept: list[NoticeContent] = []
        dropped = 0

        def check(uow: UnitOfWork, notices: list[Notice]) -> None:
            nonlocal dropped
            by_reason: dict[str, list[str]] = {}
            for notice in notices:
                reason = self._check(uow, notice)
                if reason is None:
                    kept.append(self._content(uow, notice, today, office))
                else:
                    by_reason.setdefault(reason.value, []).append(notice.number)
            for code, numbers in by_reason.items():
                dropped += move_notices(
                    uow,
                    numbers,
                    NoticeEvent.SUPPRESS,
                    NoticeState.PLANNED,
                    at=now,
                    actor=actor.clerk,
                    reason=code,
                    clear_batch=True,
                )

        with self.uow_factory() as uow:
            if batch is not None:
                check(
                    uow,
                    [n for n in uow.notices.in_batch(batch.id) if n.state is NoticeState.PLANNED],
                )
            else:
                while len(kept) < size:
                    # the kept stay first in the queue; the suppressed have left it
                    queued = uow.notices.next_queued(
                        campaign_id, size - len(kept), offset=len(kept)
                    )
                    if not queued:
                        break
                    check(uow, queued)
                if kept:
                    seq = uow.pki.next_value(f"notice-batch:{campaign_id}")
                    batch = Batch(
                        f"{campaign_id}-B{seq:04d}",
                        campaign_id,
                        seq,
                        BatchState.OPEN,
                        len(kept),
                        now,
                        None,
                        None,
                        None,
                    )
                    uow.notices.add_batch(batch)
                    uow.notices.assign_batch([c.number for c in kept], batch.id)
            uow.commit()
        return batch, kept, dropped

    def _write(self, batch: Batch, kept: list[NoticeContent]) -> tuple[bytes, int]:
        """The PDF and the manifest, each written to a temporary file and renamed into place."""
        pdf_path, csv_path = self.batch_files(batch)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = pdf_path.with_suffix(".pdf.tmp")
        with tmp.open("wb") as f:
            pages = self.printer(kept, f)
            f.flush()
            os.fsync(f.fileno())
        data = tmp.read_bytes()
        os.replace(tmp, pdf_path)
        buf = io.StringIO()
        w = SpreadsheetSafeWriter(buf)  # no cell opens as a formula (issue 14, item 9)
        w.writerow(
            [
                "number",
                "postal_code",
                "name",
                "address",
                "first_expiry",
                "items",
                "card_renewal_qr",
                "municipality",  # the counter the letter names (national campaigns), or ""
            ]
        )
        for c in kept:
            w.writerow(
                [
                    c.number,
                    c.postal_code,
                    c.name,
                    c.address,
                    min(i.expires for i in c.items).isoformat(),
                    " ".join(f"{i.what}:{i.expires.isoformat()}" for i in c.items),
                    "yes" if c.card_renewal_url else "no",
                    c.renewal_counter.municipality if c.renewal_counter else "",
                ]
            )
        tmp_csv = csv_path.with_suffix(".csv.tmp")
        tmp_csv.write_text(buf.getvalue(), encoding="utf-8")
        os.replace(tmp_csv, csv_path)
        return data, pages

    def _finish(
        self, batch: Batch, kept: list[NoticeContent], actor: Actor, pdf: bytes, pages: int
    ) -> Batch:
        now = self.clock()
        digest = hashlib.sha256(pdf).hexdigest()
        with self.uow_factory() as uow:
            move_notices(
                uow,
                [c.number for c in kept],
                NoticeEvent.SEND,
                NoticeState.PLANNED,
                at=now,
                actor=actor.clerk,
                batch_id=batch.id,
            )
            uow.notices.finish_batch(
                batch.id, notices=len(kept), at=now, sha256=digest, pages=pages
            )
            self._audit(
                uow,
                actor,
                "notices.batch",
                {"batch": batch.id, "notices": len(kept), "pages": pages, "sha256": digest},
            )
            uow.commit()
        return replace(
            batch,
            state=next_batch_state(batch.state, BatchEvent.WRITTEN),
            notices=len(kept),
            done_at=now,
            pdf_sha256=digest,
            pages=pages,
        )
