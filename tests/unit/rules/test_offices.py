"""R-PROC-0: only the main office handles certificates; open days and hours."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.dates import JST
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.offices import (
    DEFAULT_OFFICES,
    MAIN_OFFICE,
    OfficeCalendar,
    is_open_at,
    next_opening,
    office_by_code,
    office_status,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.parametrize(
    ("code", "moment", "can_process", "is_open"),
    [
        ("main", "2026-11-24T10:00", True, True),
        ("main", "2026-11-24T08:44", True, False),
        ("main", "2026-11-24T08:45", True, True),  # opening time inclusive
        ("main", "2026-11-24T17:29", True, True),
        ("main", "2026-11-24T17:30", True, False),  # closing time exclusive
        ("main", "2026-11-28T10:00", True, False),  # Saturday
        ("main", "2026-11-23T10:00", True, False),  # 勤労感謝の日
        ("main", "2026-12-29T10:00", True, False),  # year-end closure
        ("main", "2027-01-03T10:00", True, False),
        ("main", "2027-01-04T10:00", True, True),
        ("kawanishi", "2026-11-24T10:00", False, True),
        ("taisho", "2026-11-24T10:00", False, True),
    ],
)
def test_r_proc_0_office_status(code: str, moment: str, can_process: bool, is_open: bool) -> None:
    status = office_status(office_by_code(code), at(moment))
    assert (status.can_process, status.open) == (can_process, is_open)
    assert status.can_process_now is (can_process and is_open)


@pytest.mark.parametrize("code", ["kawanishi", "taisho"])
def test_r_proc_0_branch_offices_refuse_and_direct_to_the_main_office(code: str) -> None:
    status = office_status(office_by_code(code), at("2026-11-24T10:00"))
    assert not status.can_process_now
    assert "本庁" in status.message
    assert "戸籍住民課 マイナンバーカード交付担当" in status.message
    assert "水道棟3階" in status.message
    assert status.office.name in status.message


def test_r_proc_0_moments_in_other_zones_are_converted() -> None:
    # 2026-11-24 00:30 UTC is 09:30 in Japan
    assert is_open_at(MAIN_OFFICE, datetime.fromisoformat("2026-11-24T00:30:00+00:00"))


def test_r_proc_0_next_opening() -> None:
    friday_evening = at("2026-11-27T17:30")
    assert next_opening(MAIN_OFFICE, friday_evening) == at("2026-11-30T08:45")
    assert next_opening(MAIN_OFFICE, at("2026-12-28T18:00")) == at("2027-01-04T08:45")
    assert next_opening(MAIN_OFFICE, at("2026-11-24T07:00")) == at("2026-11-24T08:45")
    assert next_opening(MAIN_OFFICE, at("2026-11-24T10:00")) == at("2026-11-24T10:00")


def test_r_proc_0_closures_and_open_days_are_configuration() -> None:
    cal = OfficeCalendar(
        closed=frozenset({date(2026, 11, 25)}), opened=frozenset({date(2026, 11, 29)})
    )  # a Sunday counter
    assert not is_open_at(MAIN_OFFICE, at("2026-11-25T10:00"), cal)
    assert is_open_at(MAIN_OFFICE, at("2026-11-29T10:00"), cal)
    assert next_opening(MAIN_OFFICE, at("2026-11-28T12:00"), cal) == at("2026-11-29T08:45")


def test_unknown_office_is_refused() -> None:
    with pytest.raises(RuleInputError):
        office_by_code("obihiro-station")


@given(
    st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2040, 1, 1)),
    st.sampled_from(DEFAULT_OFFICES),
)
def test_r_proc_0_property(moment: datetime, office: object) -> None:
    from madoguchi.rules.offices import Office

    assert isinstance(office, Office)
    status = office_status(office, moment.replace(tzinfo=JST))
    assert status.can_process is (office.code == "main")
    if status.next_open is not None:
        assert status.next_open >= moment.replace(tzinfo=JST)
        assert is_open_at(office, status.next_open)
