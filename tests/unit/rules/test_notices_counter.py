"""R-NOTICE-1 … R-NOTICE-4 and R-PROC-5, R-PROC-6, R-PROC-7."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.counter import (
    ISSUANCE_STEPS,
    IssuanceStep,
    LookupMeans,
    expiry_lookup_allowed,
    pins_set_at_issuance,
)
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.notices import (
    HolderAtDispatch,
    NoticeEvent,
    NoticeState,
    SuppressionReason,
    needs_card_renewal_qr,
    next_notice_state,
    notice_due,
    notice_period,
    notice_window,
    suppression_reason,
)
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind


@pytest.mark.parametrize(
    ("expires", "first", "last"),
    [
        (date(2027, 2, 15), date(2026, 11, 15), date(2026, 12, 15)),
        (date(2027, 5, 31), date(2027, 2, 28), date(2027, 3, 31)),
    ],
)
def test_r_notice_1_two_to_three_months_before(expires: date, first: date, last: date) -> None:
    assert notice_period(expires) == (first, last)
    assert notice_due(expires, first)
    assert notice_due(expires, last)
    assert not notice_due(expires, first - timedelta(days=1))
    assert not notice_due(expires, last + timedelta(days=1))


@given(st.dates(min_value=date(2016, 1, 1), max_value=date(2060, 1, 1)))
def test_r_notice_1_property_period_lies_before_expiry(expires: date) -> None:
    first, last = notice_period(expires)
    assert first < last < expires
    assert 28 <= (last - first).days <= 31 + 3


def test_r_notice_2_card_renewal_qr_only_when_the_card_expires() -> None:
    assert needs_card_renewal_qr(date(2027, 2, 1), notice_covers_until=date(2027, 2, 28))
    assert not needs_card_renewal_qr(date(2030, 2, 1), notice_covers_until=date(2027, 2, 28))


def test_r_notice_3_paused_then_resumed_then_sent() -> None:
    state = NoticeState.PLANNED
    state = next_notice_state(state, NoticeEvent.DEFER)
    assert state is NoticeState.DEFERRED
    with pytest.raises(InvalidTransition):
        next_notice_state(state, NoticeEvent.SEND)  # must be resumed (and checked) first
    state = next_notice_state(state, NoticeEvent.RESUME)
    state = next_notice_state(state, NoticeEvent.SEND)
    assert state is NoticeState.SENT
    with pytest.raises(InvalidTransition):
        next_notice_state(state, NoticeEvent.SEND)  # never twice


@pytest.mark.parametrize(
    ("holder", "reason"),
    [
        (HolderAtDispatch(False, False, True, True), None),
        (HolderAtDispatch(False, False, True, False), SuppressionReason.RENEWED),
        (HolderAtDispatch(True, False, True, True), SuppressionReason.DECEASED),
        (HolderAtDispatch(False, True, True, True), SuppressionReason.MOVED_AWAY),
        (HolderAtDispatch(False, False, False, True), SuppressionReason.CARD_INVALID),
    ],
)
def test_r_notice_3_checked_at_dispatch(
    holder: HolderAtDispatch, reason: SuppressionReason | None
) -> None:
    assert suppression_reason(holder) is reason


def test_r_notice_4_states_and_returned_mail() -> None:
    assert {s.value for s in NoticeState} == {
        "planned",
        "deferred",
        "sent",
        "suppressed",
        "returned",
    }
    assert next_notice_state(NoticeState.SENT, NoticeEvent.RETURN) is NoticeState.RETURNED
    assert next_notice_state(NoticeState.DEFERRED, NoticeEvent.SUPPRESS) is NoticeState.SUPPRESSED
    with pytest.raises(InvalidTransition):
        next_notice_state(NoticeState.SUPPRESSED, NoticeEvent.SEND)


def test_r_proc_5_pins_set_for_every_certificate_issued() -> None:
    assert pins_set_at_issuance([CertKind.SIGN, CertKind.AUTH]) == (PinKind.SIGN, PinKind.AUTH)
    assert pins_set_at_issuance([CertKind.AUTH]) == (PinKind.AUTH,)  # a child under 15
    steps = list(ISSUANCE_STEPS)
    assert steps.index(IssuanceStep.SET_PINS) < steps.index(IssuanceStep.CA_ISSUES)
    assert IssuanceStep.TELL_EXPIRY in steps
    assert IssuanceStep.PRINT_COPY in steps


def test_r_proc_6_keys_are_made_on_the_card_before_the_ca_sees_anything() -> None:
    steps = list(ISSUANCE_STEPS)
    gen = steps.index(IssuanceStep.GENERATE_KEYS_ON_CARD)
    assert gen < steps.index(IssuanceStep.PROVE_POSSESSION) < steps.index(IssuanceStep.CA_ISSUES)
    assert steps.index(IssuanceStep.CA_ISSUES) < steps.index(IssuanceStep.WRITE_TO_CARD)
    # R-VAL-4: the old ones are superseded only once the new ones exist
    assert steps.index(IssuanceStep.WRITE_TO_CARD) < steps.index(IssuanceStep.SUPERSEDE_OLD)


@pytest.mark.parametrize(
    ("means", "allowed"),
    [
        (LookupMeans.CARD, True),
        (LookupMeans.CERTIFICATE, True),
        (LookupMeans.COPY, True),
        (LookupMeans.CLERK_SESSION, True),
        (LookupMeans.TELEPHONE, False),
        (LookupMeans.NAME, False),
    ],
)
def test_r_proc_7_no_expiry_by_telephone(means: LookupMeans, allowed: bool) -> None:
    assert expiry_lookup_allowed(means) is allowed


@pytest.mark.parametrize(
    ("on", "window"),
    [
        (date(2026, 11, 24), (date(2027, 1, 24), date(2027, 2, 24))),
        (date(2026, 11, 30), (date(2027, 1, 30), date(2027, 2, 28))),  # R-DATE-4 month end
        (date(2026, 12, 31), (date(2027, 2, 28), date(2027, 3, 31))),
    ],
)
def test_notice_window_is_two_to_three_months_ahead(on: date, window: tuple[date, date]) -> None:
    """R-NOTICE-1: the expiries a campaign planned on ``on`` covers."""
    assert notice_window(on) == window


@given(st.dates(date(2020, 1, 1), date(2040, 12, 31)), st.integers(0, 92))
def test_every_expiry_in_the_window_is_due_on_the_planning_day(on: date, offset: int) -> None:
    """R-NOTICE-1: planning by window never plans a notice outside its mailing period."""
    first, last = notice_window(on)
    expires = first + timedelta(days=offset)
    if expires <= last:
        assert notice_due(expires, on)
