"""Expiry notices (有効期限通知書): when they are due and what becomes of them (SPEC.md §6,
and R-NOTICE-5 of §10).

The notice is mailed two to three months before a certificate or the card expires
(R-NOTICE-1), to the registered address and not forwarded. Sending can be paused; deferred
notices go out on resume, never to a holder who renewed in the meantime (R-NOTICE-3). An
expiry that comes from the end of a period of stay gets no notice (R-NOTICE-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from madoguchi.rules.dates import months_after, months_before
from madoguchi.rules.errors import InvalidTransition, RuleInputError

#: R-NOTICE-1: the mailing period, in months before the expiry date.
NOTICE_EARLIEST_MONTHS = 3
NOTICE_LATEST_MONTHS = 2


def notice_window(
    on: date, *, earliest: int = NOTICE_EARLIEST_MONTHS, latest: int = NOTICE_LATEST_MONTHS
) -> tuple[date, date]:
    """R-NOTICE-1 turned round for planning: the first and last expiry date whose notice is
    due on ``on`` — from ``latest`` to ``earliest`` months ahead (R-DATE-4)."""
    if not 0 <= latest < earliest:
        raise RuleInputError("notice_period", "the notice period must be 0 <= latest < earliest")
    return months_after(on, latest), months_after(on, earliest)


def check_notice_window(
    on: date, first: date, last: date, *, earliest: int = NOTICE_EARLIEST_MONTHS
) -> None:
    """R-NOTICE-1: a window of expiry dates a supervisor may plan notices for on ``on``.

    The window starts no earlier than ``on`` (an expiry already past gets no notice) and ends
    no later than ``earliest`` months ahead: a notice for a later expiry would reach the
    holder sooner than two to three months before it. Raises RuleInputError with the code
    ``bad_window`` (the end before the start), ``window_in_past`` or ``window_too_far``.
    """
    if first > last:
        raise RuleInputError("bad_window", "the window ends before it starts")
    if first < on:
        raise RuleInputError("window_in_past", f"the window starts before {on.isoformat()}")
    limit = months_after(on, earliest)
    if last > limit:
        raise RuleInputError("window_too_far", f"the window ends after {limit.isoformat()}")


def mailing_deadline(first_expiry: date, *, latest: int = NOTICE_LATEST_MONTHS) -> date:
    """R-NOTICE-1: the last day a notice is on time — ``latest`` months before the first
    expiry it announces (R-DATE-4)."""
    return months_before(first_expiry, latest)


def late_by_pause(*, deferred: bool, first_expiry: date, dispatched_on: date) -> bool:
    """R-NOTICE-3: the notice apologises for a pause only when the pause made it late — it
    was deferred and goes out after its mailing deadline (:func:`mailing_deadline`). A pause
    of a few days that ends in time leaves no trace on the letter."""
    return deferred and dispatched_on > mailing_deadline(first_expiry)


class NoticeState(StrEnum):
    """R-NOTICE-4: every notice is in one of these states and can be traced."""

    PLANNED = "planned"
    DEFERRED = "deferred"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    RETURNED = "returned"


class NoticeEvent(StrEnum):
    DEFER = "defer"  # the campaign is paused
    RESUME = "resume"
    SEND = "send"
    SUPPRESS = "suppress"
    RETURN = "return"  # the post office returned it as undeliverable


N, NE = NoticeState, NoticeEvent
NOTICE_TRANSITIONS: dict[tuple[NoticeState, NoticeEvent], NoticeState] = {
    (N.PLANNED, NE.DEFER): N.DEFERRED,
    (N.PLANNED, NE.SEND): N.SENT,
    (N.PLANNED, NE.SUPPRESS): N.SUPPRESSED,
    (N.DEFERRED, NE.RESUME): N.PLANNED,
    (N.DEFERRED, NE.SUPPRESS): N.SUPPRESSED,
    (N.SENT, NE.RETURN): N.RETURNED,
}


def next_notice_state(state: NoticeState, event: NoticeEvent) -> NoticeState:
    """R-NOTICE-3, R-NOTICE-4: a notice is sent at most once; a deferred one must be resumed
    (and so checked again) before it can be sent."""
    key = (NoticeState(state), NoticeEvent(event))
    if key not in NOTICE_TRANSITIONS:
        raise InvalidTransition(key[0].value, key[1].value)
    return NOTICE_TRANSITIONS[key]


class CampaignState(StrEnum):
    """R-NOTICE-3: a campaign sends, or is paused (its notices deferred until resumed)."""

    ACTIVE = "active"
    PAUSED = "paused"


class CampaignEvent(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"


CAMPAIGN_TRANSITIONS: dict[tuple[CampaignState, CampaignEvent], CampaignState] = {
    (CampaignState.ACTIVE, CampaignEvent.PAUSE): CampaignState.PAUSED,
    (CampaignState.PAUSED, CampaignEvent.RESUME): CampaignState.ACTIVE,
}

#: what pausing and resuming a campaign does to its notices not yet in a print batch
CAMPAIGN_NOTICE_EVENT: dict[CampaignEvent, NoticeEvent] = {
    CampaignEvent.PAUSE: NoticeEvent.DEFER,
    CampaignEvent.RESUME: NoticeEvent.RESUME,
}


def next_campaign_state(state: CampaignState, event: CampaignEvent) -> CampaignState:
    """R-NOTICE-3: pausing a paused campaign, or resuming an active one, is refused."""
    key = (CampaignState(state), CampaignEvent(event))
    if key not in CAMPAIGN_TRANSITIONS:
        raise InvalidTransition(key[0].value, key[1].value)
    return CAMPAIGN_TRANSITIONS[key]


def planned_state(campaign: CampaignState) -> NoticeState:
    """R-NOTICE-3: a notice planned into a paused campaign waits, deferred."""
    return NoticeState.DEFERRED if campaign is CampaignState.PAUSED else NoticeState.PLANNED


class BatchState(StrEnum):
    """A print batch (R-NOTICE-4): ``open`` while its notices are checked and its files
    written (a crash leaves it open, and the next dispatch writes it again), ``done`` once
    both files are in place (印刷データ作成済み: nothing is mailed yet), ``handed_over`` once
    a supervisor recorded that the print vendor took the files (the letters go to the post)."""

    OPEN = "open"
    DONE = "done"
    HANDED_OVER = "handed_over"

    @property
    def label(self) -> str:
        return BATCH_STATE_LABELS[self]


BATCH_STATE_LABELS: dict[BatchState, str] = {
    BatchState.OPEN: "作成中（再実行で完了します）",
    BatchState.DONE: "印刷データ作成済み（印刷業者への引き渡し待ち）",
    BatchState.HANDED_OVER: "印刷業者に引き渡し済み",
}


class BatchEvent(StrEnum):
    WRITTEN = "written"  # the PDF and the CSV are in place
    HAND_OVER = "hand_over"  # the print vendor took them


BATCH_TRANSITIONS: dict[tuple[BatchState, BatchEvent], BatchState] = {
    (BatchState.OPEN, BatchEvent.WRITTEN): BatchState.DONE,
    (BatchState.DONE, BatchEvent.HAND_OVER): BatchState.HANDED_OVER,
}


def next_batch_state(state: BatchState, event: BatchEvent) -> BatchState:
    """R-NOTICE-4: a batch is handed to the print vendor once, and only when its files are
    complete; an open batch or one handed over already is refused."""
    key = (BatchState(state), BatchEvent(event))
    if key not in BATCH_TRANSITIONS:
        raise InvalidTransition(key[0].value, key[1].value)
    return BATCH_TRANSITIONS[key]


class SuppressionReason(StrEnum):
    RENEWED = "renewed"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"
    CARD_INVALID = "card_invalid"  # card held, revoked, returned

    @property
    def label(self) -> str:
        return {
            SuppressionReason.RENEWED: "更新済み",
            SuppressionReason.MOVED_AWAY: "転出済み",
            SuppressionReason.DECEASED: "死亡",
            SuppressionReason.CARD_INVALID: "カードが一時保留・失効・返納済み",
        }[self]


@dataclass(frozen=True, slots=True)
class HolderAtDispatch:
    """What is true of the holder at the moment a notice would go into a print batch."""

    deceased: bool
    moved_away: bool
    card_valid: bool
    noticed_expiries_still_current: bool  # False once every noticed item was renewed


def suppression_reason(holder: HolderAtDispatch) -> SuppressionReason | None:
    """R-NOTICE-3: checked right before dispatch; None means send it."""
    if holder.deceased:
        return SuppressionReason.DECEASED
    if holder.moved_away:
        return SuppressionReason.MOVED_AWAY
    if not holder.card_valid:
        return SuppressionReason.CARD_INVALID
    if not holder.noticed_expiries_still_current:
        return SuppressionReason.RENEWED
    return None


def needs_card_renewal_qr(card_expires: date, notice_covers_until: date) -> bool:
    """R-NOTICE-2: a notice carries the card-renewal QR code when the card itself expires
    within the period the notice covers (applying through it is free even after expiry)."""
    return card_expires <= notice_covers_until


def expiry_notice_sent(*, expiry_from_stay: bool) -> bool:
    """R-NOTICE-5: no expiry notice is sent for an expiry that comes from the end of a period
    of stay — the card's (``CardExpiry.limited_by_stay``), or a certificate's capped by such
    a card (our reading: the certificate's expiry then comes from the stay too)."""
    return not expiry_from_stay
