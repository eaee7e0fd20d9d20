"""Inquiry letters (照会書) for proxies' second visits (SPEC.md §4: R-PROC-2).

A letter is bound to one holder and one case, mailed only to the registered address, carries
a number the clerk scans or types, can be used once, and is void once the holder's
registration changed after it was sent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from madoguchi.rules.errors import RuleInputError

_NUMBER = re.compile(r"^(\d{4})(\d{6})(\d)$")


def luhn_digit(digits: str) -> int:
    """The Luhn check digit of a string of digits (catches one wrong or two swapped digits)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def format_letter_number(year: int, sequence: int) -> str:
    """R-PROC-2: the letter number printed on the letter, ``YYYY-NNNNNN-C`` (C: Luhn digit).

    Eleven digits, so it can never be mistaken for a 12-digit My Number.
    """
    if not 2000 <= year <= 9999 or not 0 < sequence < 1_000_000:
        raise RuleInputError(
            "letter_number_range", f"year {year} / sequence {sequence} out of range"
        )
    body = f"{year:04d}{sequence:06d}"
    return f"{year:04d}-{sequence:06d}-{luhn_digit(body)}"


def parse_letter_number(text: str) -> str:
    """Accept what a clerk types or a scanner sends (full-width, spaces, hyphens), canonicalised.

    Raises :class:`RuleInputError` (``bad_letter_number``) for anything else, including a
    wrong check digit.
    """
    compact = re.sub(r"[\s\-‐−ー]", "", unicodedata.normalize("NFKC", text))
    match = _NUMBER.match(compact)
    if not match or luhn_digit(match[1] + match[2]) != int(match[3]):
        raise RuleInputError("bad_letter_number", f"not a valid inquiry letter number: {text!r}")
    return f"{match[1]}-{match[2]}-{match[3]}"


class LetterProblem(StrEnum):
    """Why a presented inquiry letter cannot be used; the value is the stable code."""

    OTHER_CASE = "letter_other_case"
    OTHER_HOLDER = "letter_other_holder"
    USED = "letter_used"
    VOID = "letter_void"
    NOT_MAILED = "letter_not_mailed"

    @property
    def message(self) -> str:
        return {
            LetterProblem.OTHER_CASE: "この照会書は別の申請のものです。",
            LetterProblem.OTHER_HOLDER: "この照会書は別の方あてのものです。",
            LetterProblem.USED: "この照会書は使用済みです。照会書は1回だけ使えます。",
            LetterProblem.VOID: (
                "照会書の送付後に住民登録の内容が変わったため、この照会書は無効です。"
                "もう一度、代理人による申し出からやり直してください。"
            ),
            LetterProblem.NOT_MAILED: "この照会書はまだ郵送されていません。",
        }[self]


@dataclass(frozen=True, slots=True)
class LetterFacts:
    """What the store knows of a letter and of its holder, for :func:`letter_problem`."""

    case_id: str
    holder_id: str
    mailed_at: datetime | None
    used_at: datetime | None
    holder_changed_at: datetime | None  # last registry change of the holder, if any


def letter_problem(letter: LetterFacts, *, case_id: str, holder_id: str) -> LetterProblem | None:
    """R-PROC-2: None if the letter may be used for this case and holder now, else the reason."""
    if letter.holder_id != holder_id:
        return LetterProblem.OTHER_HOLDER
    if letter.case_id != case_id:
        return LetterProblem.OTHER_CASE
    if letter.mailed_at is None:
        return LetterProblem.NOT_MAILED
    if letter.used_at is not None:
        return LetterProblem.USED
    if letter.holder_changed_at is not None and letter.holder_changed_at > letter.mailed_at:
        return LetterProblem.VOID
    return None
