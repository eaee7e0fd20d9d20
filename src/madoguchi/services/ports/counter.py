"""The counter's records: residents, cards, cases, inquiry letters, the audit log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from madoguchi.services.domain import AuditEntry, Card, Case, InquiryLetter, Resident
from madoguchi.services.ports.ca import IntentReader, IntentRepo


class CounterReader(IntentReader, Protocol):
    def resident(self, resident_id: str) -> Resident | None:
        """One resident."""

    def find_residents(
        self, *, name: str | None = None, birth: date | None = None, limit: int = 50
    ) -> list[Resident]:
        """Residents whose name or kana contains ``name`` (literally: no wildcards) and who
        were born on ``birth``, by kana."""

    def moved_out_by(self, day: date) -> list[Resident]:
        """Residents who moved out with a planned move-out on or before ``day``."""

    def card(self, card_id: str) -> Card | None:
        """One card."""

    def cards_of(self, resident_id: str) -> list[Card]:
        """A resident's cards, oldest first."""

    def residents_with_certificates(self) -> list[str]:
        """The ids of the residents with a card the CA issued onto, in id order."""

    def case(self, case_id: str) -> Case | None:
        """One case."""

    def case_by_key(self, key: str) -> Case | None:
        """The case opened with an idempotency key."""

    def history(self, case_id: str) -> list[tuple[str, str, str]]:
        """A case's transitions: (event, from state, to state), in order."""

    def cases_of_resident(self, resident_id: str) -> list[Case]:
        """A resident's cases, oldest first."""

    def cases_between(self, start: datetime, end: datetime) -> list[Case]:
        """The cases opened in ``[start, end)``, oldest first."""

    def letter(self, number: str) -> InquiryLetter | None:
        """One inquiry letter."""

    def letters_of_case(self, case_id: str) -> list[InquiryLetter]:
        """The inquiry letters of a case."""

    def audit_between(
        self, start: datetime, end: datetime, *, limit: int = 1000
    ) -> list[AuditEntry]:
        """The audit entries of ``[start, end)``, newest first."""

    def audit_of_case(self, case_id: str) -> list[AuditEntry]:
        """A case's audit entries, in order."""

    def audit_entries(self) -> Iterator[AuditEntry]:
        """The whole audit log in storage order (streamed)."""


class CounterRepo(CounterReader, IntentRepo, Protocol):
    def add_resident(self, r: Resident) -> None:
        """Record a new resident."""

    def resident(self, resident_id: str, *, for_update: bool = False) -> Resident | None:
        """One resident; ``for_update`` locks the row until commit."""

    def update_resident(self, r: Resident) -> Resident:
        """Write ``r`` unless its row changed since it was read (ConcurrentUpdate)."""

    def add_card(self, c: Card) -> None:
        """Record a new card."""

    def card(self, card_id: str, *, for_update: bool = False) -> Card | None:
        """One card; ``for_update`` locks the row until commit."""

    def update_card(self, c: Card) -> Card:
        """Write ``c`` unless its row changed since it was read; its version moves."""

    def add_case(self, c: Case) -> None:
        """Record a new case."""

    def case(self, case_id: str, *, for_update: bool = False) -> Case | None:
        """One case; ``for_update`` locks the row until commit."""

    def update_case(self, c: Case) -> Case:
        """Write ``c`` unless its row changed since it was read."""

    def add_history(
        self, case_id: str, at: datetime, event: str, from_state: str, to_state: str, clerk: str
    ) -> None:
        """Append one transition to a case's history."""

    def add_letter(self, letter: InquiryLetter) -> None:
        """Record a mailed inquiry letter."""

    def letter(self, number: str, *, for_update: bool = False) -> InquiryLetter | None:
        """One inquiry letter; ``for_update`` locks the row until commit."""

    def mark_letter_used(self, number: str, at: datetime) -> None:
        """The letter was brought back and used (R-PROC-2: once)."""

    def append_audit(
        self,
        *,
        at: datetime,
        clerk: str,
        office: str,
        terminal: str,
        action: str,
        case_id: str | None = None,
        resident_id: str | None = None,
        certificate: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry to the hash chain."""

    def append_audits(self, drafts: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
        """Append entries (mappings of :meth:`append_audit`'s arguments) in this order."""
