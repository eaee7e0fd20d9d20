"""R-VAL-1 … R-VAL-5 and R-CARD-1."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from madoguchi.rules.dates import nth_birthday_after
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.revocation import RevocationReason, superseded_by_renewal
from madoguchi.rules.validity import (
    CertKind,
    Limit,
    card_expiry,
    certificate_expiry,
    in_renewal_window,
    renewal_offered,
    renewal_window_opens,
)

SIGN, AUTH = CertKind.SIGN, CertKind.AUTH
B = date(1980, 7, 1)


@pytest.mark.parametrize(
    ("kind", "issued", "card", "auth", "expected", "limit"),
    [
        # R-VAL-1 (a): the 5th birthday after issuance
        (SIGN, date(2026, 4, 1), date(2036, 7, 1), None, date(2030, 7, 1), Limit.BIRTHDAY),
        # R-VAL-1 (c): the card ends first
        (SIGN, date(2026, 4, 1), date(2028, 1, 10), None, date(2028, 1, 10), Limit.CARD),
        # R-VAL-1 (b): the holder's auth certificate ends first
        (
            SIGN,
            date(2026, 4, 1),
            date(2036, 7, 1),
            date(2029, 7, 1),
            date(2029, 7, 1),
            Limit.AUTH_CERTIFICATE,
        ),
        # R-VAL-2: auth, 5th birthday or card
        (AUTH, date(2026, 4, 1), date(2036, 7, 1), None, date(2030, 7, 1), Limit.BIRTHDAY),
        (AUTH, date(2026, 4, 1), date(2027, 3, 3), None, date(2027, 3, 3), Limit.CARD),
        # issued on the birthday itself: it does not count (R-DATE-2)
        (AUTH, date(2026, 7, 1), date(2040, 1, 1), None, date(2031, 7, 1), Limit.BIRTHDAY),
        # a tie is reported as the limit the ordinance names first
        (
            SIGN,
            date(2026, 4, 1),
            date(2030, 7, 1),
            date(2030, 7, 1),
            date(2030, 7, 1),
            Limit.BIRTHDAY,
        ),
    ],
)
def test_r_val_1_and_2_earliest_limit(
    kind: CertKind, issued: date, card: date, auth: date | None, expected: date, limit: Limit
) -> None:
    result = certificate_expiry(kind, birth=B, issued=issued, card_expiry=card, auth_expiry=auth)
    assert (result.expires_on, result.limited_by, result.birthday) == (expected, limit, 5)


@pytest.mark.parametrize(
    ("issued", "birthday", "early"),
    [
        (date(2026, 3, 15), 5, False),  # the day of "three months before": not yet (the law)
        (date(2026, 3, 16), 6, True),  # the window opens the day after (R-VAL-3 example)
        (date(2026, 6, 15), 6, True),  # still valid on its last day
        (date(2026, 6, 16), 5, False),  # expired: the 5th again
        (date(2027, 1, 1), 5, False),
    ],
)
def test_r_val_3_sixth_birthday_inside_the_window(issued: date, birthday: int, early: bool) -> None:
    result = certificate_expiry(
        SIGN, birth=B, issued=issued, card_expiry=date(2045, 1, 1), replacing=date(2026, 6, 15)
    )
    assert result.birthday == birthday
    assert result.early_renewal is early
    assert result.expires_on == nth_birthday_after(B, issued, birthday)


def test_r_val_3_caps_still_apply_to_early_renewal() -> None:
    result = certificate_expiry(
        SIGN,
        birth=B,
        issued=date(2026, 4, 1),
        card_expiry=date(2030, 7, 1),
        replacing=date(2026, 6, 15),
    )
    assert (result.expires_on, result.limited_by, result.birthday) == (
        date(2030, 7, 1),
        Limit.CARD,
        6,
    )


@pytest.mark.parametrize(
    ("expires", "opens"),
    [
        (date(2026, 6, 15), date(2026, 3, 16)),
        (date(2026, 5, 31), date(2026, 3, 1)),  # three months before is 28 Feb
        (date(2028, 5, 31), date(2028, 3, 1)),  # 29 Feb in a leap year
        (date(2026, 1, 10), date(2025, 10, 11)),
    ],
)
def test_r_val_3_window_opens_the_day_after_three_months_before(expires: date, opens: date) -> None:
    assert renewal_window_opens(expires) == opens
    assert in_renewal_window(opens, expires)
    assert not in_renewal_window(opens - timedelta(days=1), expires)


def test_r_val_4_renewal_supersedes_the_old_certificates() -> None:
    decision = superseded_by_renewal([AUTH, SIGN])
    assert decision.revoke == (SIGN, AUTH)
    assert decision.reason is RevocationReason.SUPERSEDED
    assert superseded_by_renewal([AUTH]).revoke == (AUTH,)


def test_r_val_4_outside_the_window_a_new_one_runs_to_the_5th_birthday() -> None:
    result = certificate_expiry(
        AUTH,
        birth=B,
        issued=date(2025, 1, 10),
        card_expiry=date(2040, 1, 1),
        replacing=date(2026, 6, 15),
    )
    assert result.birthday == 5


@pytest.mark.parametrize(
    ("on", "offered"),
    [
        (date(2026, 3, 15), False),
        (date(2026, 3, 16), True),
        (date(2026, 6, 15), True),
        (date(2026, 6, 16), True),  # R-VAL-5: after expiry, no deadline
        (date(2031, 1, 1), True),
    ],
)
def test_r_val_5_and_r_proc_3_renewal_offered(on: date, offered: bool) -> None:
    assert renewal_offered(on, date(2026, 6, 15)) is offered


@pytest.mark.parametrize(
    ("birth", "created", "expected", "count"),
    [
        (date(1980, 7, 1), date(2026, 4, 1), date(2035, 7, 1), 10),  # adult: 10th birthday
        (date(2010, 7, 1), date(2026, 4, 1), date(2030, 7, 1), 5),  # 15: 5th
        (date(2008, 4, 1), date(2026, 4, 1), date(2036, 4, 1), 10),  # 18 on the creation day
        (date(2008, 4, 2), date(2026, 4, 1), date(2030, 4, 2), 5),  # 17 the day before 18
        (date(2003, 1, 1), date(2022, 3, 31), date(2027, 1, 1), 5),  # 19 before the reform
        (date(2003, 1, 1), date(2022, 4, 1), date(2032, 1, 1), 10),  # 19 after: adult
        (date(2002, 1, 1), date(2022, 3, 31), date(2032, 1, 1), 10),  # 20 before the reform
        (date(2004, 2, 29), date(2026, 3, 1), date(2036, 2, 29), 10),  # R-DATE-3
    ],
)
def test_r_card_1_card_expiry(birth: date, created: date, expected: date, count: int) -> None:
    result = card_expiry(birth, created)
    assert (result.expires_on, result.birthday) == (expected, count)


def test_r_card_1_period_of_stay_ends_the_card() -> None:
    result = card_expiry(date(1990, 5, 5), date(2026, 4, 1), stay_until=date(2029, 3, 31))
    assert result.expires_on == date(2029, 3, 31)
    assert result.limited_by_stay
    # permanent residents (no stay_until) and a stay longer than the term: the birthday rule
    assert card_expiry(
        date(1990, 5, 5), date(2026, 4, 1), stay_until=date(2040, 1, 1)
    ).expires_on == date(2035, 5, 5)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"birth": date(2027, 1, 1)}, "born_after_issue"),
        ({"card_expiry": date(2026, 3, 31)}, "card_expired"),
        ({"auth_expiry": date(2026, 3, 1)}, "auth_expired"),
    ],
)
def test_impossible_inputs_are_refused(kwargs: dict[str, date], code: str) -> None:
    args = {"birth": B, "issued": date(2026, 4, 1), "card_expiry": date(2036, 1, 1)} | kwargs
    with pytest.raises(RuleInputError) as err:
        certificate_expiry(SIGN, **args)
    assert err.value.code == code


# ---- properties -------------------------------------------------------------------------

births = st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31))
issue_days = st.dates(min_value=date(2016, 1, 1), max_value=date(2060, 12, 31))
offsets = st.integers(min_value=0, max_value=15 * 366)


@given(
    st.sampled_from(CertKind), births, issue_days, offsets, offsets, st.one_of(st.none(), offsets)
)
def test_r_val_property_never_outlives_card_nor_auth(
    kind: CertKind,
    birth: date,
    issued: date,
    card_off: int,
    auth_off: int,
    replacing_off: int | None,
) -> None:
    assume(birth <= issued)
    card = issued + timedelta(days=card_off)
    auth = issued + timedelta(days=auth_off) if kind is SIGN else None
    replacing = None if replacing_off is None else issued + timedelta(days=replacing_off - 400)
    result = certificate_expiry(
        kind, birth=birth, issued=issued, card_expiry=card, auth_expiry=auth, replacing=replacing
    )
    assert issued <= result.expires_on <= card
    if auth is not None:
        assert result.expires_on <= auth
    assert result.expires_on <= result.birthday_date
    assert result.expires_on in {result.birthday_date, card, auth}


@given(births, issue_days, st.integers(min_value=-500, max_value=500))
def test_r_val_3_property_sixth_birthday_exactly_inside_the_window(
    birth: date, issued: date, delta: int
) -> None:
    assume(birth <= issued)
    replacing = issued + timedelta(days=delta)
    result = certificate_expiry(
        AUTH, birth=birth, issued=issued, card_expiry=date(2100, 1, 1), replacing=replacing
    )
    inside = renewal_window_opens(replacing) <= issued <= replacing
    assert result.birthday == (6 if inside else 5)
    assert result.early_renewal is inside


@given(births, st.dates(min_value=date(2016, 1, 1), max_value=date(2060, 1, 1)))
def test_r_card_1_property_term(birth: date, created: date) -> None:
    assume(birth <= created)
    result = card_expiry(birth, created)
    assert result.expires_on > created
    assert result.expires_on == nth_birthday_after(birth, created, result.birthday)
    adult = 18 if created >= date(2022, 4, 1) else 20
    assert result.birthday == (10 if result.age_at_creation >= adult else 5)
