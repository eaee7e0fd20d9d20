"""The fee for issuing or renewing certificates (SPEC.md §4: R-PROC-4; §10: R-FEE-1, R-FEE-2).

The schedule is data with effective dates so a change of the law is a new entry, not code.
Why the card is in the holder's hand decides whether the waiver applies (R-FEE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from madoguchi.rules.abroad import within_free_period
from madoguchi.rules.errors import RuleInputError


@dataclass(frozen=True, slots=True)
class FeeEntry:
    """One line of the schedule, in force from ``effective_from`` until the next line."""

    effective_from: date
    standard_yen: int
    waived: bool
    waiver: str | None = None  # the measure that waives it, printed on the receipt


class FeeReason(StrEnum):
    """R-FEE: why the card is in hand when certificates are written on it."""

    NEW = "new"  # certificates on a card the holder already has (first or again after expiry)
    RENEWAL = "renewal"
    REISSUE = "reissue"  # a card re-issued through the holder's doing (再交付)
    REISSUE_NOT_AT_FAULT = "reissue_not_at_fault"  # theft, a full remarks field, card expiry
    ABROAD_REISSUE_90D = "abroad_reissue_90d"  # lapsed at a move abroad, applied within 90 days

    @property
    def label(self) -> str:
        """What the receipt says."""
        return {
            FeeReason.NEW: "電子証明書の発行",
            FeeReason.RENEWAL: "電子証明書の更新",
            FeeReason.REISSUE: "カードの再交付（本人の事由）に伴う電子証明書の発行",
            FeeReason.REISSUE_NOT_AT_FAULT: "カードの再交付（本人の事由によらない）に伴う電子証明書の発行",
            FeeReason.ABROAD_REISSUE_90D: "国外転出後90日以内に申請したカードへの電子証明書の発行",
        }[self]

    @property
    def waivable(self) -> bool:
        """R-FEE-1, R-FEE-2: the transitional waiver covers every reason but a re-issue
        through the holder's doing."""
        return self is not FeeReason.REISSUE


#: R-FEE-2: what the receipt says when a re-issue through the holder's doing is charged.
REISSUE_CHARGED_NOTE = "本人の事由によるカードの再交付のため、手数料の免除の対象外です"


@dataclass(frozen=True, slots=True)
class Fee:
    """What is charged for one issuance or renewal on a given day."""

    standard: int
    due: int
    waived: bool
    waiver: str | None
    effective_from: date
    reason: FeeReason | None = None  # None: not said (R-PROC-4 alone)
    note: str | None = None  # why the waiver does not apply, for the receipt


#: R-PROC-4: 200 yen per issuance or renewal, waived under the national transitional measure
#: (公的個人認証法施行規則 附則の経過措置) since My Number cards began on 2016-01-01.
DEFAULT_FEE_SCHEDULE: tuple[FeeEntry, ...] = (
    FeeEntry(date(2016, 1, 1), 200, True, "国の規程の経過措置により無料"),
)


def validate_schedule(schedule: Sequence[FeeEntry]) -> tuple[FeeEntry, ...]:
    """A schedule is non-empty, strictly ordered by date, with non-negative fees."""
    entries = tuple(schedule)
    if not entries:
        raise RuleInputError("empty_fee_schedule", "the fee schedule has no entries")
    for earlier, later in pairwise(entries):
        if later.effective_from <= earlier.effective_from:
            raise RuleInputError("fee_schedule_order", "fee entries must be in date order")
    if any(e.standard_yen < 0 for e in entries):
        raise RuleInputError("negative_fee", "a fee cannot be negative")
    if any(e.waived and not e.waiver for e in entries):
        raise RuleInputError("waiver_unnamed", "a waived fee must name the measure that waives it")
    return entries


def fee_on(
    on: date,
    schedule: Sequence[FeeEntry] = DEFAULT_FEE_SCHEDULE,
    *,
    reason: FeeReason | None = None,
) -> Fee:
    """R-PROC-4, R-FEE-1, R-FEE-2: the fee in force on ``on``: 200 yen, 0 yen due while the
    waiver is in force.

    The waiver covers certificates issued or renewed on a card the holder already has, also
    after the old ones expired (``new``, ``renewal``), a card re-issued not through the
    holder's doing, and a card re-issued after a move abroad within 90 days. A card re-issued
    through the holder's doing (lost or damaged, or lapsed because a validity change or a
    move-in was not made in time) costs the standard fee (the card's own 800 yen is the card
    system's, not ours). ``reason`` None: not said, the schedule alone (as before R-FEE).
    """
    entries = validate_schedule(schedule)
    current = [e for e in entries if e.effective_from <= on]
    if not current:
        raise RuleInputError(
            "no_fee_schedule", f"no fee is defined before {entries[0].effective_from.isoformat()}"
        )
    entry = current[-1]
    if reason is not None and not FeeReason(reason).waivable and entry.waived:
        return Fee(
            entry.standard_yen,
            entry.standard_yen,
            False,
            None,
            entry.effective_from,
            FeeReason(reason),
            REISSUE_CHARGED_NOTE,
        )
    due = 0 if entry.waived else entry.standard_yen
    return Fee(
        entry.standard_yen,
        due,
        entry.waived,
        entry.waiver,
        entry.effective_from,
        FeeReason(reason) if reason is not None else None,
    )


def reissue_fee_reason(
    *,
    holders_doing: bool,
    lapsed_at_move_abroad: date | None = None,
    applied: date | None = None,
) -> FeeReason:
    """R-FEE-2, R-ABROAD-1: the fee reason of certificates on a re-issued card.

    A card that lapsed at a move abroad (``lapsed_at_move_abroad`` = the move-out date) and
    was applied for within 90 days after it is free; later, it counts as the holder's doing
    (our reading: SPEC frees only the 90 days). Otherwise ``holders_doing`` decides: lost or
    damaged by the holder, or lapsed because a validity change or a move-in was not made in
    time → charged; theft, a full remarks field, the card's own expiry → free.
    """
    if lapsed_at_move_abroad is not None:
        if applied is None:
            raise RuleInputError("applied_required", "the application date is needed")
        if applied < lapsed_at_move_abroad:
            raise RuleInputError("applied_before_move_out", "applied before the move-out")
        if within_free_period(lapsed_at_move_abroad, applied):
            return FeeReason.ABROAD_REISSUE_90D
        return FeeReason.REISSUE
    return FeeReason.REISSUE if holders_doing else FeeReason.REISSUE_NOT_AT_FAULT
