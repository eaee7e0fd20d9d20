"""The notice rules issue 15 added: the supervisor's window (R-NOTICE-1), the apology only
on a notice a pause made late (R-NOTICE-3), and the print batch's hand-over (R-NOTICE-4)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.errors import InvalidTransition, RuleInputError
from madoguchi.rules.notices import (
    BatchEvent,
    BatchState,
    check_notice_window,
    late_by_pause,
    mailing_deadline,
    next_batch_state,
)

ON = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2027, 2, 2), date(2027, 3, 2), None),  # the default window
        (ON, date(2027, 3, 2), None),  # from today, catching up
        (date(2027, 3, 2), date(2027, 2, 2), "bad_window"),
        (date(2026, 12, 1), date(2027, 1, 1), "window_in_past"),
        (date(2027, 1, 1), date(2027, 3, 3), "window_too_far"),
        (date(2027, 1, 1), date(2027, 9, 30), "window_too_far"),  # the nine-month campaign
    ],
)
def test_r_notice_1_the_supervisors_window(first: date, last: date, code: str | None) -> None:
    if code is None:
        check_notice_window(ON, first, last)
        return
    with pytest.raises(RuleInputError) as err:
        check_notice_window(ON, first, last)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("deferred", "first_expiry", "sent", "apology"),
    [
        (True, date(2027, 2, 15), date(2026, 12, 20), True),  # deadline 2026-12-15
        (True, date(2027, 2, 20), date(2026, 12, 20), False),  # its deadline: in time
        (True, date(2027, 2, 20), date(2026, 12, 2), False),  # a pause of a few days
        (False, date(2027, 2, 15), date(2026, 12, 20), False),  # late, but not by a pause
        (True, date(2027, 5, 31), date(2027, 4, 1), True),  # R-DATE-4: deadline 2027-03-31
    ],
)
def test_r_notice_3_apology_only_when_the_pause_made_it_late(
    deferred: bool, first_expiry: date, sent: date, apology: bool
) -> None:
    assert late_by_pause(deferred=deferred, first_expiry=first_expiry, dispatched_on=sent) is (
        apology
    )


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_r_notice_3_a_notice_sent_by_its_deadline_never_apologises(expiry: date) -> None:
    assert not late_by_pause(
        deferred=True, first_expiry=expiry, dispatched_on=mailing_deadline(expiry)
    )


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (BatchState.OPEN, BatchEvent.WRITTEN, BatchState.DONE),
        (BatchState.DONE, BatchEvent.HAND_OVER, BatchState.HANDED_OVER),
        (BatchState.OPEN, BatchEvent.HAND_OVER, None),  # files not complete
        (BatchState.HANDED_OVER, BatchEvent.HAND_OVER, None),  # once
        (BatchState.DONE, BatchEvent.WRITTEN, None),
    ],
)
def test_r_notice_4_a_batch_is_handed_over_once_when_complete(
    state: BatchState, event: BatchEvent, after: BatchState | None
) -> None:
    if after is None:
        with pytest.raises(InvalidTransition):
            next_batch_state(state, event)
    else:
        assert next_batch_state(state, event) is after
    assert BatchState.DONE.label.startswith("印刷データ作成済み")  # not 「送付済み」
