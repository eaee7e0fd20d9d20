"""Expiry-notice campaigns, notices and print batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from madoguchi.rules.notices import NoticeState
from madoguchi.services.domain import Batch, Campaign, Candidate, Notice, NoticeTrace


class NoticeReader(Protocol):
    def campaign(self, campaign_id: str) -> Campaign | None:
        """One campaign."""

    def campaigns(self) -> list[Campaign]:
        """Every campaign, newest first."""

    def candidates(self, first: date, last: date) -> list[Candidate]:
        """Cards whose good certificates or whose card expire in ``[first, last]``."""

    def noticed_cards(self, campaign_id: str, card_ids: Sequence[str]) -> set[str]:
        """Which of these cards already have a notice in the campaign."""

    def notice(self, number: str) -> Notice | None:
        """One notice."""

    def in_batch(self, batch_id: str) -> list[Notice]:
        """The notices of a print batch, in expiry order."""

    def with_state(
        self, campaign_id: str | None, state: NoticeState, limit: int = 1000
    ) -> list[Notice]:
        """Notices in ``state`` (of one campaign, or all), in expiry order."""

    def notices_of_resident(self, resident_id: str) -> list[Notice]:
        """A resident's notices."""

    def counts(self, campaign_id: str) -> dict[str, int]:
        """How many notices of a campaign are in each state."""

    def events(self, number: str) -> list[NoticeTrace]:
        """A notice's state changes, in order (R-NOTICE-4)."""

    def batch(self, batch_id: str) -> Batch | None:
        """One print batch."""

    def batches(self, campaign_id: str) -> list[Batch]:
        """A campaign's print batches, in order."""

    def open_batches(self, campaign_id: str) -> list[Batch]:
        """A campaign's batches a crash left open, in order."""


class NoticeRepo(NoticeReader, Protocol):
    def campaign(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        """One campaign; ``for_update`` locks the row until commit."""

    def add_campaign(self, c: Campaign) -> None:
        """Record a new campaign."""

    def update_campaign(self, c: Campaign) -> None:
        """Write a campaign's state and window."""

    def reserve_numbers(self, name: str, n: int) -> int:
        """Reserve ``n`` consecutive numbers of counter ``name``; returns the first."""

    def add_notices(self, notices: Iterable[Notice], actor: str) -> int:
        """Record planned notices (and their first trace line); returns how many."""

    def notice(self, number: str, *, for_update: bool = False) -> Notice | None:
        """One notice; ``for_update`` locks the row until commit."""

    def next_queued(self, campaign_id: str, limit: int, offset: int = 0) -> list[Notice]:
        """Planned notices not yet in a batch, in expiry order (locked for this batch)."""

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
        """Move the notices that are in ``from_state``; returns how many moved."""

    def assign_batch(self, numbers: Sequence[str], batch_id: str) -> None:
        """Put notices into a batch."""

    def add_batch(self, b: Batch) -> None:
        """Record a new (open) batch."""

    def hand_over_batch(self, batch_id: str, *, at: datetime, by: str) -> None:
        """The print vendor took the batch's files (a supervisor recorded it)."""

    def finish_batch(
        self, batch_id: str, *, notices: int, at: datetime, sha256: str, pages: int
    ) -> None:
        """The batch's files are in place: it is done."""
