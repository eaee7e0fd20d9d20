"""Counter cases as state machines (SPEC.md §4; DESIGN.md convention 3).

A case is one person's errand at the counter: one of P1–P5, or a revocation request, a PIN
reset (R-PIN-2), a lost card or a found card (R-REV-3). The table below is the whole
behaviour; guards (documents, eligibility, window, office) are the other rule functions,
checked by the services before they fire an event.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.procedures import PROCEDURES, ProcedureId, Visit


class CaseKind(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"
    REVOCATION = "revocation"
    PIN_RESET = "pin_reset"
    CARD_LOST = "card_lost"
    CARD_FOUND = "card_found"

    @property
    def procedure(self) -> ProcedureId | None:
        return ProcedureId(self.value) if self.value.startswith("P") else None


class CaseState(StrEnum):
    OPEN = "open"
    AWAITING_REPLY = "awaiting_reply"  # inquiry letter mailed; the proxy comes back with it
    ISSUED = "issued"
    COMPLETED = "completed"  # a case that issues nothing (revocation, PIN reset, lost, found)
    REFUSED = "refused"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({CaseState.ISSUED, CaseState.COMPLETED, CaseState.REFUSED, CaseState.CANCELLED})


class CaseEvent(StrEnum):
    LETTER_MAILED = "letter_mailed"  # first visit of P2/P5 accepted, inquiry letter sent
    ISSUE = "issue"
    COMPLETE = "complete"
    REFUSE = "refuse"
    CANCEL = "cancel"
    LETTER_VOID = "letter_void"  # the holder's registration changed: the letter is void


_TWO_VISITS = frozenset({CaseKind.P2, CaseKind.P5})
_ONE_VISIT = frozenset({CaseKind.P1, CaseKind.P3, CaseKind.P4})
_NO_ISSUE = frozenset(
    {CaseKind.REVOCATION, CaseKind.PIN_RESET, CaseKind.CARD_LOST, CaseKind.CARD_FOUND}
)

S, E = CaseState, CaseEvent


def _table() -> dict[tuple[CaseKind, CaseState, CaseEvent], CaseState]:
    t: dict[tuple[CaseKind, CaseState, CaseEvent], CaseState] = {}
    for kind in CaseKind:
        for state in (S.OPEN, S.AWAITING_REPLY):
            if state is S.AWAITING_REPLY and kind not in _TWO_VISITS:
                continue
            t[(kind, state, E.REFUSE)] = S.REFUSED
            t[(kind, state, E.CANCEL)] = S.CANCELLED
    for kind in _ONE_VISIT:
        t[(kind, S.OPEN, E.ISSUE)] = S.ISSUED
    for kind in _TWO_VISITS:
        t[(kind, S.OPEN, E.LETTER_MAILED)] = S.AWAITING_REPLY
        t[(kind, S.AWAITING_REPLY, E.ISSUE)] = S.ISSUED
        t[(kind, S.AWAITING_REPLY, E.LETTER_VOID)] = S.CANCELLED
    for kind in _NO_ISSUE:
        t[(kind, S.OPEN, E.COMPLETE)] = S.COMPLETED
    return t


#: ``(kind, state, event) → state``; anything else is an :class:`InvalidTransition`.
CASE_TRANSITIONS = _table()


def next_case_state(kind: CaseKind, state: CaseState, event: CaseEvent) -> CaseState:
    """The state after ``event``, per :data:`CASE_TRANSITIONS`."""
    key = (CaseKind(kind), CaseState(state), CaseEvent(event))
    if key not in CASE_TRANSITIONS:
        raise InvalidTransition(key[1].value, key[2].value)
    return CASE_TRANSITIONS[key]


def allowed_events(kind: CaseKind, state: CaseState) -> tuple[CaseEvent, ...]:
    """The events a screen may offer for a case in ``state``."""
    return tuple(e for (k, s, e) in CASE_TRANSITIONS if k == kind and s == state)


def current_visit(
    kind: CaseKind, state: CaseState, recorded_visits: Iterable[int] = ()
) -> Visit | None:
    """R-PROC-2: the visit a case is on — the second once the inquiry letter went out (and,
    for a closed case, once anything was recorded at the second visit); the first
    otherwise. None for an errand that is not one of P1–P5."""
    if kind.procedure is None:
        return None
    procedure = PROCEDURES[kind.procedure]
    second = state is CaseState.AWAITING_REPLY or (state.final and 2 in set(recorded_visits))
    if procedure.two_visits and second:
        return procedure.visit(2)
    return procedure.visits[0]


def next_visit(kind: CaseKind, state: CaseState) -> Visit | None:
    """The visit an open case waits for (None once it is closed)."""
    return None if state.final else current_visit(kind, state)
