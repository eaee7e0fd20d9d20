"""R-CARD-2, R-CARD-3, R-CARD-4 (foreign residents' cards), R-NOTICE-5, R-FEE-1, R-FEE-2
(fee reasons) and R-PIN-3 (kiosk PIN resets)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.dates import civil_code_period_end
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.fees import FeeEntry, FeeReason, fee_on, reissue_fee_reason
from madoguchi.rules.notices import expiry_notice_sent
from madoguchi.rules.pins import PinKind, ResetPlace, pin_reset_text, reset_places
from madoguchi.rules.stay import (
    StayApplicant,
    StayChangeRefusal,
    special_extension,
    special_extension_end,
    validity_change,
)
from madoguchi.rules.validity import ResidenceStatus, card_expiry

BIRTH, CREATED = (
    date(1990, 5, 1),
    date(2026, 4, 1),
)  # adult: the 10th birthday after creation is 2035-05-01


@pytest.mark.parametrize(
    ("status", "stay", "expires", "by_stay"),
    [
        ("other", date(2027, 3, 31), date(2027, 3, 31), True),
        ("other", date(2040, 1, 1), date(2035, 5, 1), False),  # never later than R-CARD-1
        ("permanent", None, date(2035, 5, 1), False),
        ("special_permanent", None, date(2035, 5, 1), False),
        ("highly_skilled_2", None, date(2035, 5, 1), False),
        (None, date(2027, 3, 31), date(2027, 3, 31), True),  # as before: no status said
        (None, None, date(2035, 5, 1), False),
    ],
)
def test_r_card_2_the_card_ends_with_the_period_of_stay(
    status: str | None, stay: date | None, expires: date, by_stay: bool
) -> None:
    result = card_expiry(
        BIRTH, CREATED, stay_until=stay, status=ResidenceStatus(status) if status else None
    )
    assert (result.expires_on, result.limited_by_stay) == (expires, by_stay)


@pytest.mark.parametrize(
    ("status", "stay", "code"),
    [
        ("other", None, "stay_required"),
        ("permanent", date(2027, 3, 31), "no_period_of_stay"),
        ("highly_skilled_2", date(2027, 3, 31), "no_period_of_stay"),
    ],
)
def test_r_card_2_status_and_stay_must_agree(status: str, stay: date | None, code: str) -> None:
    with pytest.raises(RuleInputError) as err:
        card_expiry(BIRTH, CREATED, stay_until=stay, status=ResidenceStatus(status))
    assert err.value.code == code


@pytest.mark.parametrize(
    ("on", "new_stay", "applicant", "allowed", "new_expiry", "reason", "renew"),
    [
        (date(2027, 3, 20), date(2030, 3, 31), "holder", True, date(2030, 3, 31), None, True),
        (date(2027, 3, 31), date(2030, 3, 31), "holder", True, date(2030, 3, 31), None, True),
        (
            date(2027, 3, 20),
            date(2030, 3, 31),
            "legal_representative",
            True,
            date(2030, 3, 31),
            None,
            True,
        ),
        (date(2027, 3, 20), date(2030, 3, 31), "household", True, date(2030, 3, 31), None, False),
        (date(2027, 3, 20), date(2040, 3, 31), "holder", True, date(2035, 5, 1), None, True),
        (date(2027, 4, 1), date(2030, 3, 31), "holder", False, None, "card_expired", False),
    ],
)
def test_r_card_3_validity_change(
    on: date,
    new_stay: date,
    applicant: str,
    allowed: bool,
    new_expiry: date | None,
    reason: str | None,
    renew: bool,
) -> None:
    result = validity_change(
        birth=BIRTH,
        created=CREATED,
        card_expires=date(2027, 3, 31),
        on=on,
        new_stay_until=new_stay,
        applicant=StayApplicant(applicant),
    )
    assert (result.allowed, result.new_expiry) == (allowed, new_expiry)
    assert (result.reason.value if result.reason else None) == reason
    assert result.renew_certificates is renew


def test_r_card_3_bad_dates_are_input_errors() -> None:
    args = {"birth": BIRTH, "created": CREATED, "card_expires": date(2027, 3, 31)}
    with pytest.raises(RuleInputError):
        validity_change(**args, on=date(2027, 3, 1), new_stay_until=date(2027, 2, 1))
    with pytest.raises(RuleInputError):
        validity_change(**args, on=date(2026, 3, 1), new_stay_until=date(2030, 1, 1))


@pytest.mark.parametrize(
    ("expiry", "end"),
    [
        (date(2027, 3, 31), date(2027, 5, 31)),  # SPEC's examples (Civil Code art. 143)
        (date(2026, 11, 30), date(2027, 1, 31)),
        (date(2027, 2, 28), date(2027, 4, 30)),
        (date(2026, 6, 15), date(2026, 8, 15)),  # the day before the corresponding day
        (date(2026, 12, 30), date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2027, 12, 30), date(2028, 2, 29)),
    ],
)
def test_r_card_4_special_extension_counts_as_the_civil_code(expiry: date, end: date) -> None:
    assert special_extension_end(expiry) == end
    assert civil_code_period_end(expiry, 2) == end


@pytest.mark.parametrize(
    ("card_expires", "on", "before", "allowed", "new_expiry", "reason"),
    [
        (date(2027, 3, 31), date(2027, 3, 20), False, True, date(2027, 5, 31), None),
        (date(2027, 3, 31), date(2027, 3, 31), False, True, date(2027, 5, 31), None),
        (date(2027, 3, 31), date(2027, 3, 20), True, False, None, "extension_used"),
        (date(2027, 3, 31), date(2027, 4, 1), False, False, None, "card_expired"),
        (date(2035, 4, 1), date(2035, 3, 1), False, True, date(2035, 5, 1), None),  # capped
    ],
)
def test_r_card_4_special_extension(
    card_expires: date,
    on: date,
    before: bool,
    allowed: bool,
    new_expiry: date | None,
    reason: str | None,
) -> None:
    result = special_extension(
        birth=BIRTH, created=CREATED, card_expires=card_expires, on=on, extended_before=before
    )
    assert (result.allowed, result.new_expiry) == (allowed, new_expiry)
    assert (result.reason.value if result.reason else None) == reason
    assert not result.renew_certificates
    assert all(r.message for r in StayChangeRefusal)


@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_r_card_4_property_the_extension_never_moves_the_expiry_back(expiry: date) -> None:
    end = special_extension_end(expiry)
    assert expiry + timedelta(days=58) <= end <= expiry + timedelta(days=62)
    birth = date(1950, 1, 1)
    created = expiry - timedelta(days=30)
    result = special_extension(birth=birth, created=created, card_expires=expiry, on=expiry)
    assert result.new_expiry is not None and result.new_expiry >= expiry


def test_r_notice_5_no_notice_for_an_expiry_from_the_stay() -> None:
    stay = card_expiry(BIRTH, CREATED, stay_until=date(2027, 3, 31))
    birthday = card_expiry(BIRTH, CREATED)
    assert not expiry_notice_sent(expiry_from_stay=stay.limited_by_stay)
    assert expiry_notice_sent(expiry_from_stay=birthday.limited_by_stay)


@pytest.mark.parametrize(
    ("reason", "due", "waived"),
    [
        (None, 0, True),  # R-PROC-4 as before
        ("new", 0, True),  # R-FEE-1: on a card the holder already has, also after expiry
        ("renewal", 0, True),
        ("reissue", 200, False),  # R-FEE-2: the holder's doing
        ("reissue_not_at_fault", 0, True),
        ("abroad_reissue_90d", 0, True),
    ],
)
def test_r_fee_1_and_2_fee_reasons(reason: str | None, due: int, waived: bool) -> None:
    fee = fee_on(date(2026, 11, 24), reason=FeeReason(reason) if reason else None)
    assert (fee.standard, fee.due, fee.waived) == (200, due, waived)
    assert (fee.reason.value if fee.reason else None) == reason
    if reason == "reissue":
        assert fee.waiver is None and fee.note and "再交付" in fee.note


def test_r_fee_2_without_a_waiver_everything_is_charged() -> None:
    schedule = (
        FeeEntry(date(2016, 1, 1), 200, True, "経過措置"),
        FeeEntry(date(2030, 4, 1), 300, False),
    )
    for reason in FeeReason:
        fee = fee_on(date(2030, 4, 1), schedule, reason=reason)
        assert (fee.due, fee.waived) == (300, False)


@pytest.mark.parametrize(
    ("holders_doing", "move_out", "applied", "reason"),
    [
        (True, None, None, "reissue"),
        (False, None, None, "reissue_not_at_fault"),
        (False, date(2026, 12, 1), date(2027, 3, 1), "abroad_reissue_90d"),
        (False, date(2026, 12, 1), date(2027, 3, 2), "reissue"),
    ],
)
def test_r_fee_2_reason_of_a_reissue(
    holders_doing: bool, move_out: date | None, applied: date | None, reason: str
) -> None:
    got = reissue_fee_reason(
        holders_doing=holders_doing, lapsed_at_move_abroad=move_out, applied=applied
    )
    assert got.value == reason
    assert got.label


def test_r_pin_3_where_locked_pins_are_reset() -> None:
    assert ResetPlace.KIOSK in reset_places(PinKind.SIGN)
    assert ResetPlace.KIOSK in reset_places(PinKind.AUTH)
    assert reset_places(PinKind.JUKI) == reset_places(PinKind.KENMEN) == (ResetPlace.COUNTER,)
    text = pin_reset_text()
    for needle in ("コンビニエンスストア", "JPKI暗証番号リセット", "顔認証", "窓口"):
        assert needle in text
