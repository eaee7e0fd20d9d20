"""Calendar rules: Japan time, birthdays, month arithmetic and era display (SPEC.md §2, R-DATE).

Every function here takes and returns :class:`datetime.date` (or timezone-aware
:class:`datetime.datetime`); none reads the clock.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from madoguchi.rules.errors import RuleInputError

#: Japan Standard Time, UTC+9, no daylight saving (R-DATE-1).
JST = timezone(timedelta(hours=9), "JST")


def require_aware(moment: datetime) -> datetime:
    """Refuse naive datetimes (DESIGN.md convention 1): a moment without a zone is a bug."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise RuleInputError("naive_datetime", "a timezone-aware datetime is required")
    return moment


def jst_date(moment: datetime) -> date:
    """The calendar date in Japan of an aware moment (R-DATE-1)."""
    return require_aware(moment).astimezone(JST).date()


def end_of_day_jst(day: date) -> datetime:
    """R-DATE-1: "valid until D" means D 23:59:59 JST, returned in UTC (D 14:59:59Z)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=JST).astimezone(UTC)


def birthday_in_year(birth: date, year: int) -> date:
    """R-DATE-3: the birthday of ``birth`` in ``year``.

    For a person born on 29 February the birthday in a non-leap year is 28 February
    (card ordinance art. 26(2), applied to certificates by analogy). This is the one place
    that decision is made; ages and the Nth birthday are both counted from it.
    """
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birth.replace(year=year)


def nth_birthday_after(birth: date, after: date, n: int) -> date:
    """R-DATE-2: the ``n``-th birthday strictly after ``after`` (the law's 発行の日後).

    A birthday falling on ``after`` itself does not count.
    """
    if n < 1:
        raise RuleInputError("invalid_count", f"n must be at least 1, got {n}")
    if birth > after:
        raise RuleInputError("born_after_date", "the date of birth is after the reference date")
    first_year = after.year if birthday_in_year(birth, after.year) > after else after.year + 1
    return birthday_in_year(birth, first_year + n - 1)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on ``on``: the birthdays (R-DATE-3) on or before that date."""
    if birth > on:
        raise RuleInputError("born_after_date", "the date of birth is after the reference date")
    years = on.year - birth.year
    if birthday_in_year(birth, on.year) > on:
        years -= 1
    return years


def months_before(day: date, months: int) -> date:
    """R-DATE-4: the same day of the month ``months`` months earlier, or that month's last day.

    2026-06-15 → 2026-03-15 and 2026-05-31 → 2026-02-28 for three months.
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def months_after(day: date, months: int) -> date:
    """R-DATE-4 forwards: 2026-11-30 → 2027-02-28 for three months."""
    return months_before(day, -months)


def civil_code_period_end(after: date, months: int) -> date:
    """R-CARD-4: the last day of a period of ``months`` months counted from the day after
    ``after``, as the Civil Code counts (民法 art. 140: the first day is not counted; art. 143:
    the period ends on the day before the corresponding day ``months`` later, or on that
    month's last day when the corresponding day does not exist — which a count starting on a
    1st always reaches). 2027-03-31 → 2027-05-31, 2026-11-30 → 2027-01-31,
    2027-02-28 → 2027-04-30, 2026-06-15 → 2026-08-15, 2026-12-30 → 2027-02-28.
    """
    if months < 1:
        raise RuleInputError("invalid_count", "a period has at least one month")
    start = after + timedelta(days=1)
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    if start.day > last:
        return date(year, month0 + 1, last)
    return date(year, month0 + 1, start.day) - timedelta(days=1)


def three_months_before(day: date) -> date:
    """R-DATE-4 with three months, the span of the renewal window and of expiry notices."""
    return months_before(day, 3)


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era: its name, its first day and the digit JPKI uses for it (R-X509)."""

    name: str
    romaji: str
    start: date
    code: int


#: The eras, newest first (R-DATE-5). The codes are those of J-LIS's date-of-birth field.
ERAS: tuple[Era, ...] = (
    Era("令和", "Reiwa", date(2019, 5, 1), 5),
    Era("平成", "Heisei", date(1989, 1, 8), 4),
    Era("昭和", "Showa", date(1926, 12, 25), 3),
    Era("大正", "Taisho", date(1912, 7, 30), 2),
    Era("明治", "Meiji", date(1868, 10, 23), 1),
)


def era_of(day: date) -> Era:
    """The era a date belongs to (R-DATE-5)."""
    for era in ERAS:
        if day >= era.start:
            return era
    raise RuleInputError("before_meiji", f"{day.isoformat()} is before the Meiji era")


def era_year(day: date) -> tuple[Era, int]:
    """The era and the year within it (1 for the era's first year, written 元年)."""
    era = era_of(day)
    return era, day.year - era.start.year + 1


def format_japanese(day: date, *, gannen: bool = False) -> str:
    """R-DATE-5: 令和8年3月16日 for 2026-03-16.

    With ``gannen`` the first year of an era is written 元年 (令和元年5月1日), as letters do;
    the default writes 令和1年, the form the spec shows and machines compare.
    """
    era, year = era_year(day)
    year_text = "元" if gannen and year == 1 else str(year)
    return f"{era.name}{year_text}年{day.month}月{day.day}日"


def format_japanese_with_western(day: date) -> str:
    """Era date with the Western date beside it, for screens: 令和8年3月16日（2026-03-16）."""
    return f"{format_japanese(day)}（{day.isoformat()}）"


def jpki_birth_field(birth: date) -> str:
    """The date of birth as J-LIS writes it in the signing certificate: ``EYYYYMMDD`` (R-X509).

    E is the era code (1 Meiji … 5 Reiwa) followed by the Western date.
    """
    return f"{era_of(birth).code}{birth:%Y%m%d}"


def parse_jpki_birth_field(value: str) -> date:
    """Inverse of :func:`jpki_birth_field`, checking that the era digit matches the date."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        raise RuleInputError("bad_birth_field", f"not an EYYYYMMDD value: {value!r}")
    try:
        day = date(int(value[1:5]), int(value[5:7]), int(value[7:9]))
    except ValueError as exc:
        raise RuleInputError("bad_birth_field", f"impossible date in {value!r}") from exc
    if era_of(day).code != int(value[0]):
        raise RuleInputError("bad_birth_field", f"era digit does not match the date in {value!r}")
    return day


_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_WRITTEN = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])?\s*(?P<y>\d{1,4}|元)\s*[年./-]\s*"
    r"(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*日?"
)


def parse_written_date(text: str) -> date:
    """A date as clerks write it: 1988-11-30, 1988/11/30, 昭和63年11月30日, S63.11.30,
    平成元年1月8日, H1/1/8 (full-width digits from an IME are read too). An era year must
    fall inside its era (昭和65年 is no date); anything else is ``bad_date``."""
    folded = unicodedata.normalize("NFKC", text).strip().upper()
    m = _WRITTEN.fullmatch(folded)
    if m is None:
        raise RuleInputError("bad_date", f"not a date: {text!r}")
    era_name: str | None = _ERA_LETTERS.get(m["era"] or "", m["era"])
    year_in = 1 if m["y"] == "元" else int(m["y"])
    try:
        if era_name is None:
            if m["y"] == "元" or len(m["y"]) != 4:
                raise ValueError(text)
            return date(year_in, int(m["m"]), int(m["d"]))
        era = next(e for e in ERAS if e.name == era_name)
        day = date(era.start.year + year_in - 1, int(m["m"]), int(m["d"]))
    except ValueError:
        raise RuleInputError("bad_date", f"not a date: {text!r}") from None
    if year_in < 1 or era_of(day) is not era:
        raise RuleInputError("bad_date", f"{text!r} is outside its era")
    return day
