"""Helpers the `madoguchi rules` subcommands share."""

from __future__ import annotations

from datetime import date, datetime
from typing import NoReturn

from madoguchi.cli.common import EXIT_REFUSED, parse_optional_date
from madoguchi.cli.errors import CliInputError
from madoguchi.rules.dates import JST, format_japanese_with_western


def jdate(day: date) -> str:
    """令和8年3月16日（2026-03-16）."""
    return format_japanese_with_western(day)


def optional_jdate(day: date | None) -> str:
    return jdate(day) if day is not None else "—"


def date_or_today(value: str | None, option: str) -> date:
    """An optional date option; absent, today in Japan time (the edge reads the clock)."""
    day = parse_optional_date(value, option)
    return day if day is not None else datetime.now(JST).date()


def unknown_code(code: str, option: str, value: str, what: str, choices: list[str]) -> NoReturn:
    """Bad input naming the unknown value and listing the known ones (exit 2)."""
    raise CliInputError(
        code,
        f"{option} の「{value}」という{what}はありません。"
        f"次のいずれかを指定してください: {', '.join(choices)}",
    )


def exit_refused(refused: bool) -> None:
    """Exit 1 when the rule refused (the answer was printed), as `rules pin` does."""
    if refused:
        raise SystemExit(EXIT_REFUSED)
