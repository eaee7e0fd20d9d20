"""The rules layer's error base (DESIGN.md convention 6).

Errors carry a stable English ``code`` (for logs and the API's ``detail``) and an English
``detail``; the web and CLI layers map codes to Japanese messages in one place each.
"""

from __future__ import annotations


class RuleError(Exception):
    """Base of every error raised by :mod:`madoguchi.rules`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class RuleInputError(RuleError, ValueError):
    """The input to a rule is impossible (a date of birth after the issue date, …)."""


class InvalidTransition(RuleError):
    """A procedure state machine was asked for a transition its table does not have."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__("invalid_transition", f"no transition from {state!r} on {event!r}")
        self.state = state
        self.event = event
