"""R-REV-1 … R-REV-4, R-PROC-2 (inquiry letters) and the case state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.cases import (
    CASE_TRANSITIONS,
    CaseEvent,
    CaseKind,
    CaseState,
    allowed_events,
    next_case_state,
)
from madoguchi.rules.errors import InvalidTransition, RuleInputError
from madoguchi.rules.inquiry import (
    LetterFacts,
    LetterProblem,
    format_letter_number,
    letter_problem,
    luhn_digit,
    parse_letter_number,
)
from madoguchi.rules.revocation import (
    CertStatus,
    RegistryEvent,
    RevocationReason,
    StatusChange,
    move_in_deadline,
    move_in_overdue,
    next_status,
    revocation_for,
)
from madoguchi.rules.validity import CertKind

E = RegistryEvent
S, A = ["sign"], ["auth"]
BOTH = ["sign", "auth"]


@pytest.mark.parametrize(
    ("event", "revoke", "hold", "reason"),
    [
        # R-REV-1: the four facts change → sign
        (E.NAME, S, [], "affiliationChanged"),
        (E.ADDRESS, S, [], "affiliationChanged"),
        (E.BIRTH, S, [], "affiliationChanged"),
        (E.GENDER, S, [], "affiliationChanged"),
        # R-REV-1: minor corrections change nothing
        (E.MINOR_ADDRESS, [], [], None),
        (E.MINOR_NAME, [], [], None),
        # R-REV-1 and R-REV-2: the record ends; auth survives a move-out
        (E.MOVE_OUT, S, [], "affiliationChanged"),
        (E.DEATH, BOTH, [], "cessationOfOperation"),
        (E.MOVE_OUT_NO_MOVE_IN, A, [], "cessationOfOperation"),
        # R-REV-3
        (E.REQUEST, BOTH, [], "unspecified"),
        (E.RETURNED, BOTH, [], "cessationOfOperation"),
        (E.REPLACED, BOTH, [], "superseded"),
        (E.CA_COMPROMISE, BOTH, [], "cACompromise"),
        (E.LOST, [], BOTH, "certificateHold"),
        (E.FOUND, BOTH, [], "keyCompromise"),
    ],
)
def test_r_rev_1_2_3_table(
    event: RegistryEvent, revoke: list[str], hold: list[str], reason: str | None
) -> None:
    decision = revocation_for(event)
    assert [k.value for k in decision.revoke] == revoke
    assert [k.value for k in decision.hold] == hold
    assert (decision.reason.rfc_name if decision.reason is not None else None) == reason


def test_r_rev_3_request_may_name_one_certificate() -> None:
    assert revocation_for(E.REQUEST, kinds=[CertKind.AUTH]).revoke == (CertKind.AUTH,)
    with pytest.raises(RuleInputError):
        revocation_for(E.NAME, kinds=[CertKind.SIGN])
    with pytest.raises(RuleInputError):
        revocation_for(E.REQUEST, kinds=[])


def test_r_rev_2_move_in_within_30_days_of_the_planned_date() -> None:
    planned = date(2026, 11, 1)
    assert move_in_deadline(planned) == date(2026, 12, 1)
    assert not move_in_overdue(planned, date(2026, 12, 1), moved_in=False)
    assert move_in_overdue(planned, date(2026, 12, 2), moved_in=False)
    assert not move_in_overdue(planned, date(2027, 1, 1), moved_in=True)


def test_r_rev_3_a_hold_is_never_simply_lifted() -> None:
    assert next_status(CertStatus.GOOD, StatusChange.HOLD) is CertStatus.HELD
    assert next_status(CertStatus.HELD, StatusChange.REVOKE) is CertStatus.REVOKED
    for status, change in [
        (CertStatus.HELD, StatusChange.RELEASE),
        (CertStatus.GOOD, StatusChange.RELEASE),
        (CertStatus.REVOKED, StatusChange.REVOKE),
        (CertStatus.REVOKED, StatusChange.HOLD),
        (CertStatus.HELD, StatusChange.HOLD),
    ]:
        with pytest.raises(InvalidTransition):
            next_status(status, change)


@pytest.mark.parametrize(
    ("reason", "code", "name"),
    [
        (RevocationReason.UNSPECIFIED, 0, "unspecified"),
        (RevocationReason.KEY_COMPROMISE, 1, "keyCompromise"),
        (RevocationReason.CA_COMPROMISE, 2, "cACompromise"),
        (RevocationReason.AFFILIATION_CHANGED, 3, "affiliationChanged"),
        (RevocationReason.SUPERSEDED, 4, "superseded"),
        (RevocationReason.CESSATION_OF_OPERATION, 5, "cessationOfOperation"),
        (RevocationReason.CERTIFICATE_HOLD, 6, "certificateHold"),
        (RevocationReason.REMOVE_FROM_CRL, 8, "removeFromCRL"),
        (RevocationReason.PRIVILEGE_WITHDRAWN, 9, "privilegeWithdrawn"),
        (RevocationReason.AA_COMPROMISE, 10, "aACompromise"),
    ],
)
def test_r_rev_4_rfc5280_reason_codes(reason: RevocationReason, code: int, name: str) -> None:
    assert (int(reason), reason.rfc_name) == (code, name)


@given(st.sampled_from(RegistryEvent))
def test_r_rev_property_auth_survives_every_change_but_death_and_no_move_in(
    event: RegistryEvent,
) -> None:
    decision = revocation_for(event)
    assert not set(decision.revoke) & set(decision.hold)
    if event in {E.NAME, E.ADDRESS, E.BIRTH, E.GENDER, E.MOVE_OUT, E.MINOR_ADDRESS, E.MINOR_NAME}:
        assert CertKind.AUTH not in decision.revoke
    assert (decision.reason is None) is (not decision.changes_anything)


# ---- R-PROC-2: inquiry letters --------------------------------------------------------


def test_r_proc_2_letter_number_has_a_check_digit() -> None:
    number = format_letter_number(2026, 123)
    assert number == f"2026-000123-{luhn_digit('2026000123')}"
    assert len(number.replace("-", "")) == 11  # never 12 digits like a My Number
    assert parse_letter_number(number) == number
    assert parse_letter_number(number.replace("-", "")) == number
    full_width = number.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert parse_letter_number(full_width) == number


@given(
    st.integers(min_value=2016, max_value=2099),
    st.integers(min_value=1, max_value=999_999),
    st.integers(min_value=0, max_value=10),
    st.integers(min_value=1, max_value=9),
)
def test_r_proc_2_property_one_wrong_digit_is_caught(
    year: int, seq: int, pos: int, delta: int
) -> None:
    digits = list(format_letter_number(year, seq).replace("-", ""))
    digits[pos] = str((int(digits[pos]) + delta) % 10)
    with pytest.raises(RuleInputError):
        parse_letter_number("".join(digits))


T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)
T1 = datetime(2026, 11, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("facts", "problem"),
    [
        (LetterFacts("c1", "r1", T0, None, None), None),
        (LetterFacts("c1", "r1", T0, None, datetime(2026, 10, 1, tzinfo=UTC)), None),
        (LetterFacts("c2", "r1", T0, None, None), LetterProblem.OTHER_CASE),
        (LetterFacts("c1", "r2", T0, None, None), LetterProblem.OTHER_HOLDER),
        (LetterFacts("c1", "r1", None, None, None), LetterProblem.NOT_MAILED),
        (LetterFacts("c1", "r1", T0, T1, None), LetterProblem.USED),  # single use
        (LetterFacts("c1", "r1", T0, None, T1), LetterProblem.VOID),  # registry changed since
    ],
)
def test_r_proc_2_letter_usable(facts: LetterFacts, problem: LetterProblem | None) -> None:
    assert letter_problem(facts, case_id="c1", holder_id="r1") is problem
    if problem:
        assert problem.message


# ---- procedures as state machines (DESIGN.md convention 3) ---------------------------


@pytest.mark.parametrize(
    ("kind", "events", "final"),
    [
        (CaseKind.P1, [CaseEvent.ISSUE], CaseState.ISSUED),
        (CaseKind.P2, [CaseEvent.LETTER_MAILED, CaseEvent.ISSUE], CaseState.ISSUED),
        (CaseKind.P5, [CaseEvent.LETTER_MAILED, CaseEvent.LETTER_VOID], CaseState.CANCELLED),
        (CaseKind.P4, [CaseEvent.REFUSE], CaseState.REFUSED),
        (CaseKind.P3, [CaseEvent.CANCEL], CaseState.CANCELLED),
        (CaseKind.PIN_RESET, [CaseEvent.COMPLETE], CaseState.COMPLETED),
        (CaseKind.CARD_LOST, [CaseEvent.COMPLETE], CaseState.COMPLETED),
    ],
)
def test_case_state_machine_paths(
    kind: CaseKind, events: list[CaseEvent], final: CaseState
) -> None:
    state = CaseState.OPEN
    for event in events:
        state = next_case_state(kind, state, event)
    assert state is final
    assert state.final
    assert allowed_events(kind, state) == ()


@pytest.mark.parametrize(
    ("kind", "state", "event"),
    [
        (CaseKind.P2, CaseState.OPEN, CaseEvent.ISSUE),  # a proxy's first visit never issues
        (CaseKind.P1, CaseState.OPEN, CaseEvent.LETTER_MAILED),
        (CaseKind.P1, CaseState.ISSUED, CaseEvent.ISSUE),  # never twice
        (CaseKind.REVOCATION, CaseState.OPEN, CaseEvent.ISSUE),
        (CaseKind.P3, CaseState.REFUSED, CaseEvent.ISSUE),
    ],
)
def test_case_state_machine_refuses_other_transitions(
    kind: CaseKind, state: CaseState, event: CaseEvent
) -> None:
    with pytest.raises(InvalidTransition) as err:
        next_case_state(kind, state, event)
    assert (err.value.state, err.value.event) == (state.value, event.value)


def test_case_final_states_have_no_way_out() -> None:
    for _kind, state, _event in CASE_TRANSITIONS:
        assert not state.final
