"""Languages of the pages: Japanese (the source text) and English through Babel catalogs.

Message ids are the Japanese text itself, so a missing translation shows Japanese, never a key.
The language is chosen by ``?lang=en`` (remembered in a cookie) or the ``lang`` cookie; the
current one lives in a context variable that Jinja's ``_()`` and the date filters read.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations

from madoguchi.rules.dates import JST, era_year, format_japanese_with_western

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pick_locale(query: str | None, cookie: str | None) -> str:
    for value in (query, cookie):
        if value in LOCALES:
            return value
    return DEFAULT_LOCALE


def wareki(day: date | datetime | None) -> str:
    """A date as people at the counter write it: 令和8年11月24日（2026-11-24）."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = day.astimezone(JST).date()
    if current_locale.get() == "ja":
        return format_japanese_with_western(day)
    era, year = era_year(day)
    return f"{format_date(day, 'long', locale='en')} ({era.romaji} {year})"


def when(moment: datetime | None) -> str:
    """A moment in JST, in the page's language."""
    if moment is None:
        return "—"
    local = moment.astimezone(JST)
    if current_locale.get() == "ja":
        return f"{wareki(local.date())} {local:%H:%M}"
    return format_datetime(local, "medium", locale="en")
