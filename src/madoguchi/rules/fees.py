"""The fee for issuing or renewing certificates (SPEC.md §4: R-PROC-4).

The schedule is data with effective dates so a change of the law is a new entry, not code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from madoguchi.rules.errors import RuleInputError


@dataclass(frozen=True, slots=True)
class FeeEntry:
    """One line of the schedule, in force from ``effective_from`` until the next line."""

    effective_from: date
    standard_yen: int
    waived: bool
    waiver: str | None = None  # the measure that waives it, printed on the receipt


@dataclass(frozen=True, slots=True)
class Fee:
    """What is charged for one issuance or renewal on a given day."""

    standard: int
    due: int
    waived: bool
    waiver: str | None
    effective_from: date


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


def fee_on(on: date, schedule: Sequence[FeeEntry] = DEFAULT_FEE_SCHEDULE) -> Fee:
    """R-PROC-4: the fee in force on ``on``: 200 yen, 0 yen due while the waiver is in force."""
    entries = validate_schedule(schedule)
    current = [e for e in entries if e.effective_from <= on]
    if not current:
        raise RuleInputError(
            "no_fee_schedule", f"no fee is defined before {entries[0].effective_from.isoformat()}"
        )
    entry = current[-1]
    due = 0 if entry.waived else entry.standard_yen
    return Fee(entry.standard_yen, due, entry.waived, entry.waiver, entry.effective_from)
