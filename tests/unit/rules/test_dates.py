"""R-DATE-1 … R-DATE-5."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.dates import (
    JST,
    age_on,
    birthday_in_year,
    end_of_day_jst,
    format_japanese,
    format_japanese_with_western,
    jpki_birth_field,
    jst_date,
    months_before,
    nth_birthday_after,
    parse_jpki_birth_field,
    parse_written_date,
    require_aware,
    three_months_before,
)
from madoguchi.rules.errors import RuleInputError

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 12, 31))


def test_r_date_1_valid_until_is_end_of_day_jst() -> None:
    assert end_of_day_jst(date(2031, 7, 1)) == datetime(2031, 7, 1, 14, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 15, 14, 59, 59, tzinfo=UTC), date(2026, 3, 15)),
        (datetime(2026, 3, 15, 15, 0, 0, tzinfo=UTC), date(2026, 3, 16)),
        (datetime(2026, 3, 16, 0, 0, tzinfo=JST), date(2026, 3, 16)),
    ],
)
def test_r_date_1_calendar_dates_are_japan_time(moment: datetime, expected: date) -> None:
    assert jst_date(moment) == expected


def test_r_date_1_naive_datetimes_are_refused() -> None:
    with pytest.raises(RuleInputError) as err:
        require_aware(datetime(2026, 1, 1, 9, 0))
    assert err.value.code == "naive_datetime"


@pytest.mark.parametrize(
    ("birth", "after", "n", "expected"),
    [
        (date(1980, 7, 1), date(2026, 4, 1), 5, date(2030, 7, 1)),
        (date(1980, 7, 1), date(2026, 7, 1), 1, date(2027, 7, 1)),  # R-DATE-2: on X doesn't count
        (date(1980, 7, 1), date(2026, 6, 30), 1, date(2026, 7, 1)),
        (date(1980, 7, 1), date(2026, 7, 2), 5, date(2031, 7, 1)),
        (date(2000, 1, 1), date(2026, 12, 31), 1, date(2027, 1, 1)),
    ],
)
def test_r_date_2_nth_birthday_strictly_after(
    birth: date, after: date, n: int, expected: date
) -> None:
    assert nth_birthday_after(birth, after, n) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2027, date(2027, 2, 28)), (2028, date(2028, 2, 29)), (2100, date(2100, 2, 28))],
)
def test_r_date_3_leap_day_birthday_is_28_february_in_common_years(
    year: int, expected: date
) -> None:
    assert birthday_in_year(date(2004, 2, 29), year) == expected


def test_r_date_3_leap_day_birthday_counts_on_28_february() -> None:
    born = date(2004, 2, 29)
    assert nth_birthday_after(born, date(2026, 3, 1), 1) == date(2027, 2, 28)
    assert nth_birthday_after(born, date(2026, 3, 1), 2) == date(2028, 2, 29)
    # issued on 28 Feb of a common year: that day is the birthday and does not count (R-DATE-2)
    assert nth_birthday_after(born, date(2027, 2, 28), 1) == date(2028, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 22
    assert age_on(born, date(2026, 2, 27)) == 21


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 15), date(2026, 3, 15)),  # the spec's examples
        (date(2026, 5, 31), date(2026, 2, 28)),
        (date(2028, 5, 31), date(2028, 2, 29)),
        (date(2026, 2, 15), date(2025, 11, 15)),  # across the year
        (date(2026, 12, 31), date(2026, 9, 30)),
        (date(2026, 3, 31), date(2025, 12, 31)),
    ],
)
def test_r_date_4_three_months_before(day: date, expected: date) -> None:
    assert three_months_before(day) == expected


@given(dates, st.integers(min_value=0, max_value=60))
def test_r_date_4_months_before_keeps_the_day_or_takes_the_last(day: date, n: int) -> None:
    earlier = months_before(day, n)
    assert (earlier.year * 12 + earlier.month) == (day.year * 12 + day.month) - n
    if earlier.day != day.day:
        assert earlier.day < day.day
        assert (earlier + timedelta(days=1)).day == 1  # it is the month's last day


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 3, 16), "令和8年3月16日"),
        (date(2019, 5, 1), "令和1年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成1年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和1年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正1年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
    ],
)
def test_r_date_5_era_display(day: date, text: str) -> None:
    assert format_japanese(day) == text


def test_r_date_5_gannen_and_western_year_beside() -> None:
    assert format_japanese(date(2019, 5, 1), gannen=True) == "令和元年5月1日"
    assert format_japanese_with_western(date(2026, 3, 16)) == "令和8年3月16日（2026-03-16）"


@pytest.mark.parametrize(
    ("birth", "field"),
    [
        (date(1975, 4, 2), "319750402"),
        (date(1989, 1, 8), "419890108"),
        (date(2019, 5, 1), "520190501"),
        (date(1920, 1, 1), "219200101"),
    ],
)
def test_r_x509_birth_field_has_era_digit(birth: date, field: str) -> None:
    assert jpki_birth_field(birth) == field
    assert parse_jpki_birth_field(field) == birth


@pytest.mark.parametrize("bad", ["419750402", "3197504", "31975043X", "319750230"])
def test_r_x509_birth_field_refuses_inconsistent_values(bad: str) -> None:
    with pytest.raises(RuleInputError):
        parse_jpki_birth_field(bad)


@given(dates, dates, st.integers(min_value=1, max_value=10))
def test_r_date_2_property_nth_birthday(birth: date, after: date, n: int) -> None:
    if birth > after:
        birth, after = after, birth
    result = nth_birthday_after(birth, after, n)
    assert result > after
    assert result == birthday_in_year(birth, result.year)
    assert result.year - after.year in (n - 1, n)
    # exactly n birthdays lie in (after, result]
    count = sum(
        1
        for y in range(after.year, result.year + 1)
        if after < birthday_in_year(birth, y) <= result
    )
    assert count == n


@given(dates, dates)
def test_age_is_birthdays_passed(birth: date, on: date) -> None:
    if birth > on:
        birth, on = on, birth
    age = age_on(birth, on)
    assert age >= 0
    if age:
        assert nth_birthday_after(birth, birth, age) <= on


def test_other_offsets_convert_to_jst() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert jst_date(datetime(2026, 3, 15, 10, 0, tzinfo=new_york)) == date(2026, 3, 16)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("昭和63年11月30日", date(1988, 11, 30)),
        ("S63.11.30", date(1988, 11, 30)),
        ("s63.11.30", date(1988, 11, 30)),
        ("昭和６３年１１月３０日", date(1988, 11, 30)),  # full width, from an IME
        ("1988-11-30", date(1988, 11, 30)),
        ("1988/11/30", date(1988, 11, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("R8.3.16", date(2026, 3, 16)),
        ("H31.4.30", date(2019, 4, 30)),
    ],
)
def test_written_dates_as_clerks_write_them(text: str, day: date) -> None:
    """Issue 15: a date of birth typed in the era as well as the Western form."""
    assert parse_written_date(text) == day


@pytest.mark.parametrize(
    "text", ["昭和65年1月1日", "H1.1.7", "R1.4.30", "63.11.30", "1988-02-30", "昭和", ""]
)
def test_written_dates_outside_their_era_or_impossible_are_refused(text: str) -> None:
    with pytest.raises(RuleInputError) as err:
        parse_written_date(text)
    assert err.value.code == "bad_date"
