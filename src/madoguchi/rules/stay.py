"""Foreign residents' cards and their period of stay (SPEC.md §10: R-CARD-3, R-CARD-4).

The card of a holder with a period of stay ends with it (R-CARD-2, in
:func:`madoguchi.rules.validity.card_expiry`). When the stay is extended the card's expiry is
changed at the counter (有効期間変更, R-CARD-3); while a renewal of the stay is pending it may
be moved once by the special extension (特例期間延長, R-CARD-4). The law: the card ordinance
(番号利用法施行令・カード省令) on the validity of cards of foreign residents; the Civil Code
art. 140 and 143 for counting the two months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from madoguchi.rules.dates import civil_code_period_end
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.validity import ResidenceStatus, card_expiry

#: R-CARD-4: the special extension moves the expiry to the end of this many months.
SPECIAL_EXTENSION_MONTHS: Final = 2


class StayChangeRefusal(StrEnum):
    """Why the card's expiry cannot be changed; the value is the stable code."""

    CARD_EXPIRED = "card_expired"
    EXTENSION_USED = "extension_used"

    @property
    def message(self) -> str:
        return {
            StayChangeRefusal.CARD_EXPIRED: (
                "カードの有効期限が過ぎているため、有効期間の変更はできません。"
                "新しいカードの申請が必要です（電子証明書は有料の再交付扱い）。"
            ),
            StayChangeRefusal.EXTENSION_USED: (
                "特例期間による有効期間の延長は1回だけです。すでに延長しています。"
            ),
        }[self]


class StayApplicant(StrEnum):
    """R-CARD-3: who applies for the validity change."""

    HOLDER = "holder"
    LEGAL_REPRESENTATIVE = "legal_representative"
    HOUSEHOLD = "household"  # a household member: the card's part only

    @property
    def renews_certificates(self) -> bool:
        """R-CARD-3: the certificates are renewed at the same visit only for the holder or a
        legal representative; after a household member's visit they follow later."""
        return self is not StayApplicant.HOUSEHOLD


@dataclass(frozen=True, slots=True)
class StayChange:
    """The outcome of a validity change or a special extension."""

    allowed: bool
    new_expiry: date | None
    reason: StayChangeRefusal | None
    limited_by_stay: bool  # the new expiry is the end of stay (False: the birthday rule caps it)
    renew_certificates: bool  # both certificates renewed at the same visit (R-VAL-4 superseded)


def card_valid_on(card_expires: date, on: date) -> bool:
    """R-CARD-3, R-CARD-4: the card is valid up to and including its expiry date."""
    return on <= card_expires


def _check(birth: date, created: date, card_expires: date, on: date) -> None:
    if card_expires < created:
        raise RuleInputError("card_expiry_before_creation", "the card expires before creation")
    if on < created:
        raise RuleInputError("before_creation", "the date is before the card's creation")
    if birth > created:
        raise RuleInputError("born_after_creation", "the date of birth is after the creation")


def validity_change(
    *,
    birth: date,
    created: date,
    card_expires: date,
    on: date,
    new_stay_until: date,
    applicant: StayApplicant = StayApplicant.HOLDER,
) -> StayChange:
    """R-CARD-3: 有効期間変更 with a residence card showing the extended stay.

    While the card is valid (up to and including its expiry date) its expiry becomes the new
    end of stay, capped by R-CARD-1's birthday rule from the card's creation (R-CARD-2). Both
    certificates are renewed at the same visit when the holder or a legal representative
    applies (the old ones ``superseded``, R-VAL-4); a household member does the card's part
    only. After the card expired this is impossible: a new card is needed (R-FEE-2).
    """
    _check(birth, created, card_expires, on)
    if new_stay_until < on:
        raise RuleInputError("new_stay_ended", "the new period of stay has already ended")
    if not card_valid_on(card_expires, on):
        return StayChange(False, None, StayChangeRefusal.CARD_EXPIRED, False, False)
    result = card_expiry(birth, created, stay_until=new_stay_until, status=ResidenceStatus.OTHER)
    renew = StayApplicant(applicant).renews_certificates
    return StayChange(True, result.expires_on, None, result.limited_by_stay, renew)


def special_extension_end(card_expires: date) -> date:
    """R-CARD-4: the end of two months counted from the day after the current expiry, as the
    Civil Code counts: 2027-03-31 → 2027-05-31, 2026-11-30 → 2027-01-31, 2027-02-28 →
    2027-04-30 (before any cap)."""
    return civil_code_period_end(card_expires, SPECIAL_EXTENSION_MONTHS)


def special_extension(
    *,
    birth: date,
    created: date,
    card_expires: date,
    on: date,
    extended_before: bool = False,
) -> StayChange:
    """R-CARD-4: 特例期間延長 while a renewal of the stay is pending.

    While the card is still valid, its expiry may be moved once to the end of two months
    counted from the day after its current expiry (:func:`special_extension_end`), capped by
    the birthday rule as in R-CARD-2; never a second time. The certificates are not renewed
    (our reading: SPEC names no renewal for the extension; they stay capped by the card's old
    expiry until the validity change, R-CARD-3). The new expiry is never earlier than the old.
    """
    _check(birth, created, card_expires, on)
    if not card_valid_on(card_expires, on):
        return StayChange(False, None, StayChangeRefusal.CARD_EXPIRED, False, False)
    if extended_before:
        return StayChange(False, None, StayChangeRefusal.EXTENSION_USED, False, False)
    end = special_extension_end(card_expires)
    capped = card_expiry(birth, created, stay_until=end, status=ResidenceStatus.OTHER)
    new_expiry = max(capped.expires_on, card_expires)
    return StayChange(True, new_expiry, None, capped.limited_by_stay, False)
