"""Moving abroad with the card (SPEC.md §10: R-ABROAD-1, R-ABROAD-3).

The law: 公的個人認証法 art. 3-2 and the card's continued use abroad (国外継続利用), in force
since 2024-05-27. What the move abroad revokes (R-ABROAD-2) is in :mod:`madoguchi.rules.revocation`
(events ``move_abroad_continue`` and ``move_abroad``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from madoguchi.rules.dates import format_japanese

#: R-ABROAD: the day continued use abroad and the 国外転出者向け certificate began.
ABROAD_RULES_IN_FORCE: Final = date(2024, 5, 27)
#: R-ABROAD-1: a new card applied for within this many days after the move-out is free.
FREE_NEW_CARD_DAYS: Final = 90


class Nationality(StrEnum):
    JAPANESE = "jp"
    FOREIGN = "foreign"


class AbroadApplicant(StrEnum):
    """R-ABROAD-3: who applies for the 国外転出者向け signing certificate."""

    SELF = "self"  # the holder in person
    HOUSEHOLD = "household"  # a household member or a legal representative
    PROXY = "proxy"  # any other proxy

    @property
    def label(self) -> str:
        return {
            AbroadApplicant.SELF: "本人",
            AbroadApplicant.HOUSEHOLD: "同一世帯の方・法定代理人",
            AbroadApplicant.PROXY: "その他の代理人",
        }[self]


class AbroadRefusal(StrEnum):
    """Why continued use or the abroad certificate cannot be asked for; the stable codes."""

    FOREIGN_NATIONAL = "foreign_national"
    TOO_LATE = "too_late"
    CARD_LAPSED = "card_lapsed"
    PROXY_AFTER_MOVE_OUT = "proxy_after_move_out"
    NOT_IN_FORCE = "not_in_force"

    @property
    def message(self) -> str:
        return {
            AbroadRefusal.FOREIGN_NATIONAL: (
                "国外転出後のカードの継続利用と国外転出者向けの署名用電子証明書は、"
                "日本国籍の方だけが対象です。"
            ),
            AbroadRefusal.TOO_LATE: (
                "継続利用の申し出は、国外転出届と一緒に転出予定日の前日までに必要です。"
                "転出するとカードは失効します（転出後90日以内の新規申請は無料）。"
            ),
            AbroadRefusal.CARD_LAPSED: (
                "カードは国外転出で失効しています（継続利用の申し出がありません）。"
                "新しいカードの申請が必要です。"
            ),
            AbroadRefusal.PROXY_AFTER_MOVE_OUT: (
                "国外転出後の署名用電子証明書は、本人が来庁して申請してください"
                "（代理人による申請はできません）。"
            ),
            AbroadRefusal.NOT_IN_FORCE: (
                f"国外転出後の継続利用は{format_japanese(ABROAD_RULES_IN_FORCE)}から始まった制度です。"
            ),
        }[self]


class AbroadSignRoute(StrEnum):
    """R-ABROAD-3: how the 国外転出者向け signing certificate is applied for."""

    IN_PERSON = "in_person"  # the holder at the counter (P1)
    SAME_DAY_WITH_ATTORNEY = "same_day_with_attorney"  # household member, power of attorney
    INQUIRY_LETTER = "inquiry_letter"  # another proxy: P2, ending before the move-out date


@dataclass(frozen=True, slots=True)
class ContinuedUse:
    allowed: bool
    reason: AbroadRefusal | None
    deadline: date  # the last day continued use may be asked for


@dataclass(frozen=True, slots=True)
class AbroadSign:
    allowed: bool
    reason: AbroadRefusal | None
    route: AbroadSignRoute | None
    issue_by: date | None  # the inquiry-letter procedure must end by this day


def continued_use_deadline(move_out: date) -> date:
    """R-ABROAD-1: continued use is asked for with the move-out notice, no later than the day
    before the planned move-out date."""
    return move_out - timedelta(days=1)


def continued_use_allowed(nationality: Nationality, *, move_out: date, on: date) -> ContinuedUse:
    """R-ABROAD-1: may a holder moving abroad on ``move_out`` ask on ``on`` to keep the card?

    Japanese nationals only (公的個人認証法 art. 3-2); no later than the day before the
    planned move-out date. Without it the card lapses at the move-out. The card must be valid:
    the counter checks the card it holds.
    """
    deadline = continued_use_deadline(move_out)
    if Nationality(nationality) is Nationality.FOREIGN:
        return ContinuedUse(False, AbroadRefusal.FOREIGN_NATIONAL, deadline)
    if on < ABROAD_RULES_IN_FORCE:
        return ContinuedUse(False, AbroadRefusal.NOT_IN_FORCE, deadline)
    if on > deadline:
        return ContinuedUse(False, AbroadRefusal.TOO_LATE, deadline)
    return ContinuedUse(True, None, deadline)


def abroad_sign_allowed(
    nationality: Nationality,
    *,
    move_out: date,
    on: date,
    applicant: AbroadApplicant,
    continued: bool,
) -> AbroadSign:
    """R-ABROAD-3: may ``applicant`` apply on ``on`` for the 国外転出者向け signing certificate?

    Before the move-out date: the holder in person, or a household member or legal
    representative the same day with the power of attorney; another proxy through the
    inquiry-letter procedure (P2), which must end before the move-out date. On or after it:
    only on a card in continued use abroad (``continued``), and only the holder in person, at
    the municipality that keeps the 戸籍の附票 (or another the law's art. 3-2(3) allows — the
    counter's configuration, not this rule). Its four facts come from the 戸籍の附票.
    """
    applicant = AbroadApplicant(applicant)
    if Nationality(nationality) is Nationality.FOREIGN:
        return AbroadSign(False, AbroadRefusal.FOREIGN_NATIONAL, None, None)
    if on < ABROAD_RULES_IN_FORCE:
        return AbroadSign(False, AbroadRefusal.NOT_IN_FORCE, None, None)
    if on >= move_out:
        if not continued:
            return AbroadSign(False, AbroadRefusal.CARD_LAPSED, None, None)
        if applicant is not AbroadApplicant.SELF:
            return AbroadSign(False, AbroadRefusal.PROXY_AFTER_MOVE_OUT, None, None)
        return AbroadSign(True, None, AbroadSignRoute.IN_PERSON, None)
    if applicant is AbroadApplicant.SELF:
        return AbroadSign(True, None, AbroadSignRoute.IN_PERSON, None)
    if applicant is AbroadApplicant.HOUSEHOLD:
        return AbroadSign(True, None, AbroadSignRoute.SAME_DAY_WITH_ATTORNEY, None)
    return AbroadSign(True, None, AbroadSignRoute.INQUIRY_LETTER, continued_use_deadline(move_out))


def free_new_card_until(move_out: date) -> date:
    """R-ABROAD-1, R-FEE-2: the last day a new card after a move abroad without continued use
    is applied for free — 90 days after the move-out (our reading: the 90th day counts)."""
    return move_out + timedelta(days=FREE_NEW_CARD_DAYS)


def within_free_period(move_out: date, applied: date) -> bool:
    """R-ABROAD-1: was the new card applied for within 90 days after the move-out?"""
    return move_out <= applied <= free_new_card_until(move_out)
