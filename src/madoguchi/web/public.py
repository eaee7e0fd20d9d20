"""The public pages, no login: what to bring (P1–P5), offices and hours, fees. The
certificate check is in web/public_check.py, the card renewal application of the expiry
notice's QR code in web/public_renewal.py.

Every page reads the site configuration (offices, calendar, fee schedule) at request time,
so an admin's change shows at once. Nothing here looks a person up by name, My Number or
phone (R-PROC-7): the check page needs the certificate itself or the copy's data, the card
renewal page needs the sealed reference of the QR code (R-NOTICE-2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import jpholiday
from fastapi import APIRouter, Request
from fastapi.responses import Response

from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.fees import Fee, fee_on
from madoguchi.rules.offices import (
    Office,
    OfficeCalendar,
    OfficeStatus,
    is_national_holiday,
    is_year_end_holiday,
    office_status,
)
from madoguchi.rules.pins import KIOSK_RESET_TEXT
from madoguchi.rules.procedures import Applicant, Purpose, Step, checklist, select_procedure
from madoguchi.services.certview import (
    MAX_CERT_BYTES,
)
from madoguchi.web import i18n
from madoguchi.web.labels import HOLIDAY_NAMES
from madoguchi.web.templating import render

#: The whole multipart body of the check form: the file plus the token and two short fields.
MAX_CHECK_BODY = MAX_CERT_BYTES + 8 * 1024
CLOSURE_DAYS = 30
NO_STORE = {"Cache-Control": "no-store"}
_HEX = re.compile(r"[0-9a-f]{1,40}")
_WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")


# --- offices, hours, the calendar (R-PROC-0) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class OfficeView:
    office: Office
    status: OfficeStatus
    hours: str
    today: date | None = None

    @property
    def opens_today(self) -> bool:
        """Closed now, and the next opening is later today (「本日8時45分から」)."""
        moment = self.status.next_open
        return not self.status.open and moment is not None and moment.date() == self.today

    @property
    def next_open_time(self) -> str:
        moment = self.status.next_open
        return clock_time(moment.time()) if moment else ""


@dataclass(frozen=True, slots=True)
class DayNote:
    """A day of the coming weeks that differs from an ordinary weekday."""

    day: date
    weekday: str
    open: bool
    reason: str


def clock_time(moment: time) -> str:
    """8時45分, or 8:45 in English."""
    if i18n.current_locale.get() == "ja":
        return f"{moment.hour}時{moment.minute:02d}分"
    return f"{moment.hour}:{moment.minute:02d}"


def hours_of(office: Office) -> str:
    if i18n.current_locale.get() == "ja":
        return office.hours_text()
    return f"{office.opens:%H:%M}–{office.closes:%H:%M}"


def weekday_of(day: date) -> str:
    return i18n.gettext(_WEEKDAYS[day.weekday()])


def _closed_reason(day: date, cal: OfficeCalendar) -> str:
    if day in cal.closed:
        return i18n.gettext("臨時閉庁日")
    if is_year_end_holiday(day):
        return i18n.gettext("年末年始の休み（12月29日〜1月3日）")
    if is_national_holiday(day):
        return holiday_name(jpholiday.is_holiday_name(day) or "祝日・休日")
    return i18n.gettext("土曜日") if day.weekday() == 5 else i18n.gettext("日曜日")


def holiday_name(name: str) -> str:
    """jpholiday's name in the page's language; a substitute holiday is named after its
    holiday, and a name the catalog does not know reads "national holiday" in English."""
    base, _, substitute = name.partition(" ")
    known = base if base in HOLIDAY_NAMES else "祝日・休日"
    text = i18n.gettext(known) if i18n.current_locale.get() != "ja" else base
    if substitute:
        return i18n.gettext("{name}の振替休日").format(name=text)
    return text


def calendar_end(cal: OfficeCalendar, start: date, days: int = CLOSURE_DAYS) -> date:
    """The last day of the public calendar: ``days`` days from ``start``, carried on while
    the office stays closed, so a closure that starts inside (the year-end closure, a long
    weekend) is listed whole."""
    end = start + timedelta(days=days - 1)
    for _ in range(CLOSURE_DAYS):  # bounded: a calendar closed for months stops here
        if cal.is_open_day(end + timedelta(days=1)):
            break
        end += timedelta(days=1)
    return end


def calendar_notes(cal: OfficeCalendar, start: date, days: int = CLOSURE_DAYS) -> list[DayNote]:
    """Closed days (weekends, national holidays, 29 Dec–3 Jan, configured closures) and
    configured openings from ``start`` to :func:`calendar_end`."""
    notes = []
    for offset in range((calendar_end(cal, start, days) - start).days + 1):
        day = start + timedelta(days=offset)
        if day in cal.opened:
            notes.append(DayNote(day, weekday_of(day), True, i18n.gettext("臨時開庁日")))
        elif not cal.is_open_day(day):
            notes.append(DayNote(day, weekday_of(day), False, _closed_reason(day, cal)))
    return notes


@dataclass(frozen=True, slots=True)
class Site:
    """What every public page needs to know at one moment."""

    now: datetime
    today: date
    offices: list[OfficeView]
    calendar: OfficeCalendar
    fee: Fee | None
    schedule: tuple[Any, ...]

    @property
    def certificate_offices(self) -> list[OfficeView]:
        return [v for v in self.offices if v.office.handles_certificates]

    @property
    def branches(self) -> list[OfficeView]:
        return [v for v in self.offices if not v.office.handles_certificates]

    @property
    def main(self) -> OfficeView | None:
        found = self.certificate_offices
        return found[0] if found else None

    def context(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "today": self.today,
            "offices": self.offices,
            "certificate_offices": self.certificate_offices,
            "branches": self.branches,
            "branch_names": _joined(i18n.gettext(v.office.name) for v in self.branches),
            "main": self.main,
            "fee": self.fee,
            "schedule": self.schedule,
        }


def _joined(names: Any) -> str:
    return ("、" if i18n.current_locale.get() == "ja" else ", ").join(names)


def site_of(request: Request) -> Site:
    container = request.app.state.container
    config = container.site.current()
    now = container.clock()
    today = jst_date(now)
    try:
        fee: Fee | None = fee_on(today, config.fee_schedule)
    except RuleInputError:  # no entry in force yet: the page says so, never a 500
        fee = None
    views = [
        OfficeView(o, office_status(o, now, config.calendar), hours_of(o), today)
        for o in config.offices
    ]
    return Site(now, today, views, config.calendar, fee, tuple(config.fee_schedule))


# --- the checklist (SPEC.md §4) -------------------------------------------------------------

CHECKLIST_FIELDS = ("purpose", "applicant", "notice", "pin")
STEP_LABELS = {Step.REQUEST: "申請", Step.ISSUE: "発行"}


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def checklist_answers(params: Any) -> tuple[dict[str, str | None], dict[str, str]]:
    """The answers of the checklist form and, per question, what is missing."""
    answers = {
        "purpose": _choice(params.get("purpose"), ("new", "renewal")),
        "applicant": _choice(params.get("applicant"), ("self", "proxy")),
        "notice": _choice(params.get("notice"), ("yes", "no")),
        "pin": _choice(params.get("pin"), ("yes", "no")),
    }
    errors: dict[str, str] = {}
    if answers["purpose"] is None:
        errors["purpose"] = i18n.gettext("新規か更新かを選んでください。")
    if answers["applicant"] is None:
        errors["applicant"] = i18n.gettext("本人が来るか、代理人が来るかを選んでください。")
    if answers["purpose"] == "renewal" and answers["notice"] is None:
        errors["notice"] = i18n.gettext(
            "更新の方は、有効期限通知書が手元にあるかどうかを選んでください。"
        )
    if answers["applicant"] == "self" and answers["pin"] is None:
        errors["pin"] = i18n.gettext(
            "本人が来る方は、本人が暗証番号を覚えているかどうかを選んでください。"
        )
    return answers, errors


# --- the routes -----------------------------------------------------------------------------


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/")
    def home(request: Request) -> Response:
        return render(request, "public/home.html", site_of(request).context())

    @r.get("/checklist")
    def checklist_page(request: Request) -> Response:
        site = site_of(request)
        context = site.context()
        params = request.query_params
        context.update(answers={}, errors={}, result=None, kiosk_text=KIOSK_RESET_TEXT)
        if not any(name in params for name in CHECKLIST_FIELDS):
            return render(request, "public/checklist.html", context)
        answers, errors = checklist_answers(params)
        context.update(answers=answers, errors=errors)
        if errors:
            return render(request, "public/checklist.html", context, status_code=422)
        procedure = select_procedure(
            Purpose(answers["purpose"]),
            Applicant(answers["applicant"]),
            notice=answers["notice"] == "yes",
        )
        pin_known = answers["applicant"] == "self" and answers["pin"] == "yes"
        visits = checklist(procedure, pin_known=pin_known, notice=answers["notice"] == "yes")
        context["result"] = {
            "procedure": procedure,
            "visits": visits,
            "step_labels": STEP_LABELS,
            "renewal": procedure.purpose is Purpose.RENEWAL,
            "pin_known": pin_known,
        }
        return render(request, "public/checklist.html", context)

    @r.get("/offices")
    def offices_page(request: Request) -> Response:
        site = site_of(request)
        context = site.context()
        context["days"] = calendar_notes(site.calendar, site.today)
        context["until"] = calendar_end(site.calendar, site.today)
        return render(request, "public/offices.html", context)

    @r.get("/fees")
    def fees_page(request: Request) -> Response:
        return render(request, "public/fees.html", site_of(request).context())

    return r


def no_store(response: Response) -> Response:
    """Pages about one person's card are not kept in shared caches or the back-forward cache."""
    response.headers.update(NO_STORE)
    return response
