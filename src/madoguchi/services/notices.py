"""Expiry-notice campaigns (SPEC.md §6): plan, dispatch in print batches, pause and resume,
returned mail.

- Plan (R-NOTICE-1): every card whose good certificates or whose card itself expire in the
  window (default two to three months ahead) gets one numbered notice covering all that
  expires; planning twice adds only what is new. A paused campaign plans into ``deferred``.
- Dispatch (R-NOTICE-3): batches in expiry order; right before a notice goes into a batch the
  holder is checked again (renewed, moved away, died, card no longer valid → ``suppressed``
  with the reason). A batch is written as one PDF and one CSV manifest to temporary files,
  renamed into place, and only then marked done with its notices ``sent``: a process killed
  mid-batch leaves the batch ``open``, and the next run writes the same batch again (checked
  again) — nothing is sent twice and nothing is lost.
- Pause and resume: pausing defers the planned notices and stops dispatch; resuming makes
  them planned again, to be sent in expiry order, still suppressing the renewed.
- Returned mail (R-NOTICE-4): a sent notice the post office returns becomes ``returned`` and
  shows on the clerks' follow-up list. Every state change is traced per notice.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import chain, repeat
from pathlib import Path
from typing import BinaryIO, Protocol

from madoguchi.rules.dates import jst_date
from madoguchi.rules.notices import (
    HolderAtDispatch,
    NoticeState,
    SuppressionReason,
    needs_card_renewal_qr,
    notice_window,
    suppression_reason,
)
from madoguchi.rules.offices import Office
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, record
from madoguchi.services.domain import CardStatus, ResidentStatus
from madoguchi.services.errors import NotFound, Refused
from madoguchi.services.failpoints import failpoint
from madoguchi.services.ports import Clock, UnitOfWorkPort, UowFactory
from madoguchi.services.spreadsheet import SpreadsheetSafeWriter

ACTIVE, PAUSED = "active", "paused"


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


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    window_from: date
    window_to: date
    state: str
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


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    campaign_id: str
    seq: int
    state: str  # open, done
    notices: int
    created_at: datetime
    done_at: datetime | None
    pdf_sha256: str | None
    pages: int | None


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
    deferred: bool = False  # held back by a pause: the letter apologises (R-NOTICE-3)


class NoticePrinter(Protocol):
    def __call__(self, contents: Iterable[NoticeContent], out: BinaryIO) -> int: ...


@dataclass(frozen=True, slots=True)
class PlanResult:
    campaign: Campaign
    planned: int
    already: int


@dataclass(frozen=True, slots=True)
class DispatchResult:
    batches: tuple[Batch, ...]
    sent: int
    suppressed: int
    paused: bool


def campaign_id_for(window_from: date) -> str:
    return f"{window_from:%Y-%m}"


class NoticeService:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        printer: NoticePrinter,
        out_dir: Path,
        renewal_link: Callable[[str, date], str],
        office: Callable[[], Office],
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.printer = printer
        self.out_dir = out_dir
        self.renewal_link = renewal_link
        self.office = office

    def _audit(
        self, uow: UnitOfWorkPort, actor: Actor, action: str, detail: dict[str, object]
    ) -> None:
        record(uow, self.clock(), actor, action, detail)

    # -- planning ----------------------------------------------------------------------------
    def plan(
        self,
        actor: Actor,
        *,
        window: tuple[date, date] | None = None,
        campaign_id: str | None = None,
        earliest_months: int = 3,
        latest_months: int = 2,
    ) -> PlanResult:
        today = jst_date(self.clock())
        first, last = window or notice_window(today, earliest=earliest_months, latest=latest_months)
        if first > last:
            raise Refused("bad_window", "the window ends before it starts")
        cid = campaign_id or campaign_id_for(first)
        now = self.clock()
        with self.uow_factory() as uow:
            campaign = uow.notices.campaign(cid, for_update=True)
            if campaign is None:
                campaign = Campaign(cid, first, last, ACTIVE, now, actor.clerk)
                uow.notices.add_campaign(campaign)
            else:
                campaign = replace(
                    campaign,
                    window_from=min(first, campaign.window_from),
                    window_to=max(last, campaign.window_to),
                )
                uow.notices.update_campaign(campaign)
            candidates = uow.notices.candidates(first, last)
            known = uow.notices.noticed_cards(cid, [c.card_id for c in candidates])
            new = sorted(
                (c for c in candidates if c.card_id not in known),
                key=lambda c: (min(i.expires for i in c.items), c.card_id),
            )
            state = NoticeState.DEFERRED if campaign.state == PAUSED else NoticeState.PLANNED
            start = uow.notices.reserve_numbers(f"notice-seq:{cid}", len(new)) if new else 0
            planned = uow.notices.add_notices(
                (
                    Notice(
                        number=f"{cid}-{start + k:07d}",
                        campaign_id=cid,
                        resident_id=c.resident_id,
                        card_id=c.card_id,
                        items=tuple(sorted(c.items, key=lambda i: (i.expires, i.what))),
                        first_expiry=min(i.expires for i in c.items),
                        card_expires=c.card_expires,
                        state=state,
                        reason=None,
                        batch_id=None,
                        planned_at=now,
                        changed_at=now,
                    )
                    for k, c in enumerate(new)
                ),
                actor.clerk,
            )
            self._audit(
                uow,
                actor,
                "notices.plan",
                {
                    "campaign": cid,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "planned": planned,
                },
            )
            uow.commit()
        return PlanResult(campaign, planned, len(known))

    # -- pause and resume --------------------------------------------------------------------
    def pause(self, campaign_id: str, actor: Actor) -> int:
        """Stop sending: the planned notices not yet in a batch are deferred."""
        return self._switch(
            campaign_id, actor, PAUSED, NoticeState.PLANNED, NoticeState.DEFERRED, "defer"
        )

    def resume(self, campaign_id: str, actor: Actor) -> int:
        """Send again: the deferred notices are planned, to go out in expiry order."""
        return self._switch(
            campaign_id, actor, ACTIVE, NoticeState.DEFERRED, NoticeState.PLANNED, "resume"
        )

    def _switch(
        self,
        campaign_id: str,
        actor: Actor,
        campaign_state: str,
        from_state: NoticeState,
        to_state: NoticeState,
        event: str,
    ) -> int:
        with self.uow_factory() as uow:
            campaign = self._campaign(uow, campaign_id)
            uow.notices.update_campaign(replace(campaign, state=campaign_state))
            numbers = [
                n.number
                for n in uow.notices.with_state(campaign_id, from_state, limit=10**9)
                if n.batch_id is None  # a batch a crash left open is finished as it is
            ]
            moved = uow.notices.set_state(
                numbers,
                from_state=from_state,
                to_state=to_state,
                event=event,
                at=self.clock(),
                actor=actor.clerk,
            )
            action = "notices.pause" if campaign_state == PAUSED else "notices.resume"
            self._audit(uow, actor, action, {"campaign": campaign_id, "moved": moved})
            uow.commit()
        return moved

    def _campaign(self, uow: UnitOfWorkPort, campaign_id: str) -> Campaign:
        campaign = uow.notices.campaign(campaign_id, for_update=True)
        if campaign is None:
            raise NotFound("unknown_campaign", f"no campaign {campaign_id}")
        return campaign  # type: ignore[no-any-return]

    # -- dispatch ----------------------------------------------------------------------------
    def _check(self, uow: UnitOfWorkPort, notice: Notice) -> SuppressionReason | None:
        """R-NOTICE-3: is the holder still to be told, right now?"""
        resident = uow.counter.resident(notice.resident_id)
        card = uow.counter.card(notice.card_id)
        current = False
        for item in notice.items:
            if item.what == "card":
                current |= card is not None and card.expires == item.expires
            else:
                rec = uow.pki.certificate(CertKind(item.what), int(item.serial or "0", 16))
                current |= rec is not None and rec.status is CertStatus.GOOD
        return suppression_reason(
            HolderAtDispatch(
                deceased=resident is None or resident.status is ResidentStatus.DECEASED,
                moved_away=resident is not None and resident.status is ResidentStatus.MOVED_OUT,
                card_valid=card is not None and card.status is CardStatus.ACTIVE,
                noticed_expiries_still_current=current,
            )
        )

    def _content(
        self, uow: UnitOfWorkPort, notice: Notice, today: date, office: Office
    ) -> NoticeContent:
        resident = uow.counter.resident(notice.resident_id)
        assert resident is not None
        last = max(i.expires for i in notice.items)
        url = (
            self.renewal_link(notice.card_id, notice.card_expires)
            if needs_card_renewal_qr(notice.card_expires, last)
            else None
        )
        deferred = any(e[1] == "defer" for e in uow.notices.events(notice.number))
        return NoticeContent(
            notice.number,
            today,
            resident.name,
            resident.address,
            notice.items,
            notice.card_expires,
            url,
            office,
            deferred,
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
        with self.uow_factory() as uow:
            campaign = self._campaign(uow, campaign_id)
            reopened = uow.notices.open_batches(campaign_id)
        if campaign.state == PAUSED:
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

        def check(uow: UnitOfWorkPort, notices: list[Notice]) -> None:
            nonlocal dropped
            by_reason: dict[str, list[str]] = {}
            for notice in notices:
                reason = self._check(uow, notice)
                if reason is None:
                    kept.append(self._content(uow, notice, today, office))
                else:
                    by_reason.setdefault(reason.value, []).append(notice.number)
            for code, numbers in by_reason.items():
                dropped += uow.notices.set_state(
                    numbers,
                    from_state=NoticeState.PLANNED,
                    to_state=NoticeState.SUPPRESSED,
                    event="suppress",
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
                        "open",
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
        w.writerow(["number", "name", "address", "first_expiry", "items", "card_renewal_qr"])
        for c in kept:
            w.writerow(
                [
                    c.number,
                    c.name,
                    c.address,
                    min(i.expires for i in c.items).isoformat(),
                    " ".join(f"{i.what}:{i.expires.isoformat()}" for i in c.items),
                    "yes" if c.card_renewal_url else "no",
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
            uow.notices.set_state(
                [c.number for c in kept],
                from_state=NoticeState.PLANNED,
                to_state=NoticeState.SENT,
                event="send",
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
            batch, state="done", notices=len(kept), done_at=now, pdf_sha256=digest, pages=pages
        )

    # -- returned mail and status --------------------------------------------------------------
    def record_returned(self, number: str, actor: Actor) -> Notice:
        with self.uow_factory() as uow:
            notice = uow.notices.notice(number.strip(), for_update=True)
            if notice is None:
                raise NotFound("unknown_notice", f"no notice {number}")
            if notice.state is not NoticeState.SENT:
                raise Refused("notice_not_sent", f"the notice is {notice.state.value}")
            uow.notices.set_state(
                [notice.number],
                from_state=NoticeState.SENT,
                to_state=NoticeState.RETURNED,
                event="return",
                at=self.clock(),
                actor=actor.clerk,
            )
            self._audit(uow, actor, "notices.returned", {"notice": notice.number})
            uow.commit()
        return replace(notice, state=NoticeState.RETURNED)

    def campaigns(self) -> list[Campaign]:
        with self.uow_factory() as uow:
            return list(uow.notices.campaigns())

    def status(self, campaign_id: str) -> tuple[Campaign, dict[str, int], list[Batch]]:
        with self.uow_factory() as uow:
            campaign = uow.notices.campaign(campaign_id)
            if campaign is None:
                raise NotFound("unknown_campaign", f"no campaign {campaign_id}")
            return campaign, uow.notices.counts(campaign_id), list(uow.notices.batches(campaign_id))

    def returned(self, campaign_id: str | None = None) -> list[Notice]:
        with self.uow_factory() as uow:
            return list(uow.notices.with_state(campaign_id, NoticeState.RETURNED))

    def trace(
        self, number: str
    ) -> tuple[Notice, list[tuple[datetime, str, str | None, str, str | None, str]]]:
        with self.uow_factory() as uow:
            notice = uow.notices.notice(number)
            if notice is None:
                raise NotFound("unknown_notice", f"no notice {number}")
            return notice, list(uow.notices.events(number))
