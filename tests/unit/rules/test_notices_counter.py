"""R-NOTICE-1 … R-NOTICE-4 and R-PROC-5."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.counter import pins_set_at_issuance
from madoguchi.rules.dates import months_before
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.notices import (
    HolderAtDispatch,
    NoticeEvent,
    NoticeState,
    SuppressionReason,
    needs_card_renewal_qr,
    next_notice_state,
    notice_window,
    suppression_reason,
)
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind


def _due(expires: date, on: date) -> bool:
    """R-NOTICE-1 read from the expiry: mailed from three to two months before it (R-DATE-4)."""
    return months_before(expires, 3) <= on <= months_before(expires, 2)


@pytest.mark.parametrize(
    ("expires", "first", "last"),
    [
        (date(2027, 2, 15), date(2026, 11, 15), date(2026, 12, 15)),
        (date(2027, 5, 31), date(2027, 2, 28), date(2027, 3, 31)),
    ],
)
def test_r_notice_1_two_to_three_months_before(expires: date, first: date, last: date) -> None:
    assert _due(expires, first) and _due(expires, last)
    assert not _due(expires, first - timedelta(days=1))
    assert not _due(expires, last + timedelta(days=1))


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
        assert _due(expires, on)
