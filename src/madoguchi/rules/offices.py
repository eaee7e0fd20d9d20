"""Offices, open days and hours (SPEC.md §4: R-PROC-0).

Only the main office handles certificates; the branch offices refuse and send the person
there. Offices, hours and closures are configuration: the defaults below are the city's page,
and every function takes the office and calendar as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import jpholiday

from madoguchi.rules.dates import JST, require_aware
from madoguchi.rules.errors import RuleInputError


@dataclass(frozen=True, slots=True)
class Office:
    """A place where residents come; ``handles_certificates`` is R-PROC-0."""

    code: str
    name: str
    desk: str
    handles_certificates: bool
    opens: time = time(8, 45)
    closes: time = time(17, 30)
    address: str = ""
    phone: str = ""

    def hours_text(self) -> str:
        return f"{self.opens.hour}時{self.opens.minute:02d}分〜{self.closes.hour}時{self.closes.minute:02d}分"


MAIN_OFFICE = Office(
    code="main",
    name="本庁",
    desk="戸籍住民課 マイナンバーカード交付担当（市庁舎水道棟3階 大会議室）",
    handles_certificates=True,
    address="〒080-8670 帯広市西5条南7丁目1番地",
    phone="0155-65-4234",
)

DEFAULT_OFFICES: tuple[Office, ...] = (
    MAIN_OFFICE,
    Office(code="kawanishi", name="川西支所", desk="川西支所", handles_certificates=False),
    Office(code="taisho", name="大正支所", desk="大正支所", handles_certificates=False),
)


def office_by_code(code: str, offices: Iterable[Office] = DEFAULT_OFFICES) -> Office:
    for office in offices:
        if office.code == code:
            return office
    raise RuleInputError("unknown_office", f"no office with code {code!r}")


@dataclass(frozen=True, slots=True)
class OfficeCalendar:
    """Open days: weekdays except national holidays and 29 Dec–3 Jan, adjusted by config.

    ``closed`` adds closures (a system migration day); ``opened`` adds open days (a Sunday
    counter for card pick-ups) and wins over every default closure.
    """

    closed: frozenset[date] = field(default_factory=frozenset)
    opened: frozenset[date] = field(default_factory=frozenset)

    def is_open_day(self, day: date) -> bool:
        if day in self.opened:
            return True
        if day in self.closed:
            return False
        return not (day.weekday() >= 5 or is_year_end_holiday(day) or is_national_holiday(day))


def is_national_holiday(day: date) -> bool:
    """National holidays, substitute holidays and citizens' holidays (jpholiday)."""
    return bool(jpholiday.is_holiday(day))


#: the year-end and new-year closure, (month, day) to (month, day) inclusive
YEAR_END_FROM, YEAR_END_UNTIL = (12, 29), (1, 3)


def is_year_end_holiday(day: date) -> bool:
    """The year-end and new-year closure, 29 December to 3 January."""
    return (day.month, day.day) >= YEAR_END_FROM or (day.month, day.day) <= YEAR_END_UNTIL


def regular_closures_text() -> str:
    """The closed days that every office keeps, as printed beside the hours on letters."""
    (m1, d1), (m2, d2) = YEAR_END_FROM, YEAR_END_UNTIL
    return f"土日祝日・{m1}月{d1}日〜{m2}月{d2}日を除く"


@dataclass(frozen=True, slots=True)
class OfficeStatus:
    office: Office
    can_process: bool  # R-PROC-0: the office handles certificates at all
    open: bool  # the office is open at that moment
    next_open: datetime | None  # the next opening moment of a certificate office, in JST

    @property
    def can_process_now(self) -> bool:
        return self.can_process and self.open

    @property
    def message(self) -> str:
        if not self.can_process:
            return refusal_at_branch(self.office)
        if self.open:
            return f"{self.office.name}は開庁中です。電子証明書の手続きができます。"
        return f"{self.office.name}は閉庁時間です。"


def refusal_at_branch(office: Office, main: Office = MAIN_OFFICE) -> str:
    """R-PROC-0: the message that sends the person to the main office."""
    return (
        f"{office.name}では電子証明書の手続きはできません。"
        f"{main.name}の{main.desk}までお越しください（{main.hours_text()}）。"
    )


def is_open_at(office: Office, at: datetime, cal: OfficeCalendar = OfficeCalendar()) -> bool:
    """Is ``office`` open at the aware moment ``at`` (opening time inclusive, closing exclusive)?"""
    local = require_aware(at).astimezone(JST)
    return cal.is_open_day(local.date()) and office.opens <= local.time() < office.closes


def next_opening(
    office: Office, at: datetime, cal: OfficeCalendar = OfficeCalendar(), *, horizon_days: int = 60
) -> datetime | None:
    """The first opening moment at or after ``at`` (the moment itself when open), in JST."""
    local = require_aware(at).astimezone(JST)
    if is_open_at(office, local, cal):
        return local
    day = local.date()
    if local.time() >= office.opens:
        day += timedelta(days=1)
    for _ in range(horizon_days):
        if cal.is_open_day(day):
            return datetime.combine(day, office.opens, tzinfo=JST)
        day += timedelta(days=1)
    return None


def office_status(
    office: Office, at: datetime, cal: OfficeCalendar = OfficeCalendar()
) -> OfficeStatus:
    """R-PROC-0: may this office process certificates, and is it open at ``at``?"""
    nxt = next_opening(office, at, cal) if office.handles_certificates else None
    return OfficeStatus(office, office.handles_certificates, is_open_at(office, at, cal), nxt)
