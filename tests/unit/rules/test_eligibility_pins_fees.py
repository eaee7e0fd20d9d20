"""R-ELIG-1, R-ELIG-2, R-PIN-1, R-PIN-2, R-PROC-4."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.eligibility import (
    Ineligibility,
    eligibility,
)
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.fees import DEFAULT_FEE_SCHEDULE, FeeEntry, fee_on
from madoguchi.rules.pins import (
    PinKind,
    PinProblem,
    check_pin,
    is_locked,
    tries_left_after_failure,
)
from madoguchi.rules.validity import CertKind


@pytest.mark.parametrize(
    ("kind", "birth", "on", "ward", "juki", "eligible", "reason"),
    [
        ("sign", date(2011, 11, 24), date(2026, 11, 24), False, False, True, None),  # 15 today
        ("sign", date(2011, 11, 25), date(2026, 11, 24), False, False, False, "under_15"),
        ("auth", date(2026, 1, 1), date(2026, 11, 24), False, False, True, None),  # no age limit
        ("sign", date(1950, 1, 1), date(2026, 11, 24), True, False, False, "adult_ward"),
        ("auth", date(1950, 1, 1), date(2026, 11, 24), True, False, True, None),
        ("sign", date(1950, 1, 1), date(2015, 12, 22), False, True, True, None),  # last day
        ("auth", date(1950, 1, 1), date(2015, 12, 23), False, True, False, "juki_card_ended"),
        ("sign", date(1950, 1, 1), date(2016, 1, 4), False, True, False, "juki_card_ended"),
    ],
)
def test_r_elig_1_and_2(
    kind: str, birth: date, on: date, ward: bool, juki: bool, eligible: bool, reason: str | None
) -> None:
    result = eligibility(CertKind(kind), birth=birth, on=on, adult_ward=ward, juki_card=juki)
    assert result.eligible is eligible
    assert (result.reason.value if result.reason else None) == reason
    assert result.message  # always something to tell the person


def test_r_elig_messages_are_japanese() -> None:
    assert "15歳未満" in Ineligibility.UNDER_15.message
    assert "平成27年12月22日" in Ineligibility.JUKI_CARD_ENDED.message


@given(
    st.dates(min_value=date(1920, 1, 1), max_value=date(2026, 1, 1)),
    st.dates(min_value=date(2016, 1, 1), max_value=date(2060, 1, 1)),
    st.booleans(),
)
def test_r_elig_1_property_auth_has_no_age_limit(birth: date, on: date, ward: bool) -> None:
    if birth <= on:
        assert eligibility(CertKind.AUTH, birth=birth, on=on, adult_ward=ward).eligible


@pytest.mark.parametrize(
    ("kind", "value", "valid", "normalized", "problem"),
    [
        ("sign", "ABC123", True, "ABC123", None),
        ("sign", "abc123", True, "ABC123", None),  # lower case taken as upper case
        ("sign", "ａｂｃ１２３", True, "ABC123", None),  # full width from an IME
        ("sign", "A1B2C3D4E5F6G7H8", True, "A1B2C3D4E5F6G7H8", None),  # 16
        ("sign", "A1B2C3D4E5F6G7H8I", False, "A1B2C3D4E5F6G7H8I", PinProblem.LENGTH),
        ("sign", "AB123", False, "AB123", PinProblem.LENGTH),
        ("sign", "ABCDEF", False, "ABCDEF", PinProblem.NEEDS_DIGIT),
        ("sign", "123456", False, "123456", PinProblem.NEEDS_LETTER),
        ("sign", "ABC-123", False, "ABC-123", PinProblem.CHARACTERS),
        ("sign", "ÄBC123", False, "ÄBC123", PinProblem.CHARACTERS),
        ("auth", "1234", True, "1234", None),
        ("auth", "１２３４", True, "1234", None),
        ("juki", "123", False, "123", PinProblem.NOT_FOUR_DIGITS),
        ("kenmen", "12345", False, "12345", PinProblem.NOT_FOUR_DIGITS),
        ("juki", "12a4", False, "12A4", PinProblem.NOT_FOUR_DIGITS),
        ("kenmen", "٣٤٥٦", False, "٣٤٥٦", PinProblem.NOT_FOUR_DIGITS),  # not ASCII digits
    ],
)
def test_r_pin_1_formats(
    kind: str, value: str, valid: bool, normalized: str, problem: PinProblem | None
) -> None:
    result = check_pin(PinKind(kind), value)
    assert (result.valid, result.normalized, result.problem) == (valid, normalized, problem)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=16))
def test_r_pin_1_property_sign_password(value: str) -> None:
    has_letter = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    assert check_pin(PinKind.SIGN, value).valid is (has_letter and has_digit)
    assert check_pin(PinKind.SIGN, value.lower()).normalized == value


@pytest.mark.parametrize(("kind", "tries"), [("sign", 5), ("auth", 3), ("juki", 3), ("kenmen", 3)])
def test_r_pin_2_lock_after_wrong_tries(kind: str, tries: int) -> None:
    pin = PinKind(kind)
    assert pin.max_tries == tries
    left = pin.max_tries
    for _ in range(tries):
        assert not is_locked(left)
        left = tries_left_after_failure(pin, left)
    assert left == 0
    assert is_locked(left)
    assert tries_left_after_failure(pin, left) == 0


@pytest.mark.parametrize(
    ("on", "standard", "due", "waived"),
    [(date(2016, 1, 1), 200, 0, True), (date(2026, 11, 24), 200, 0, True)],
)
def test_r_proc_4_fee_waived_now(on: date, standard: int, due: int, waived: bool) -> None:
    fee = fee_on(on)
    assert (fee.standard, fee.due, fee.waived) == (standard, due, waived)
    assert fee.waiver == "国の規程の経過措置により無料"


def test_r_proc_4_schedule_is_data_with_effective_dates() -> None:
    schedule = (*DEFAULT_FEE_SCHEDULE, FeeEntry(date(2030, 4, 1), 200, False))
    assert fee_on(date(2030, 3, 31), schedule).due == 0
    after = fee_on(date(2030, 4, 1), schedule)
    assert (after.due, after.waived, after.effective_from) == (200, False, date(2030, 4, 1))


@pytest.mark.parametrize(
    ("schedule", "code"),
    [
        ((), "empty_fee_schedule"),
        (
            (FeeEntry(date(2020, 1, 1), 200, False), FeeEntry(date(2019, 1, 1), 200, False)),
            "fee_schedule_order",
        ),
        ((FeeEntry(date(2020, 1, 1), -1, False),), "negative_fee"),
        ((FeeEntry(date(2020, 1, 1), 200, True),), "waiver_unnamed"),
    ],
)
def test_r_proc_4_bad_schedules_are_refused(schedule: tuple[FeeEntry, ...], code: str) -> None:
    with pytest.raises(RuleInputError) as err:
        fee_on(date(2026, 1, 1), schedule)
    assert err.value.code == code


def test_r_proc_4_no_fee_before_the_schedule() -> None:
    with pytest.raises(RuleInputError) as err:
        fee_on(date(2015, 12, 31))
    assert err.value.code == "no_fee_schedule"
