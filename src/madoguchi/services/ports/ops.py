"""The store's reads for operators: the schema's revision, counts for /metrics, the newest
CRLs and checkpoints (store/ops_queries.py implements them)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from madoguchi.services.domain import CrlFact


class OpsReader(Protocol):
    """The store's reads for operators, inside one read-only unit of work."""

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        ...

    def issued(self) -> dict[str, int]:
        """Certificates issued per CA kind."""
        ...

    def status_counts(self) -> list[tuple[str, str, int | None, int]]:
        """(kind, status, reason code, count) of the held and revoked certificates."""
        ...

    def newest_audit_seq(self) -> int:
        """The number of the newest audit entry (0: none)."""
        ...

    def refusal_details(self, after: int, upto: int) -> list[tuple[str, str, int]]:
        """(action, detail JSON, count) of the refusal entries numbered after..upto."""
        ...

    def audit_entry_at(self, seq: int) -> datetime | None:
        """When audit entry ``seq`` was written (None: no such entry)."""
        ...

    def newest_checkpoint(self) -> tuple[int, datetime] | None:
        """(entry number, time) of the newest audit checkpoint."""
        ...

    def notice_states(self) -> dict[str, int]:
        """Expiry notices per state."""
        ...

    def newest_crls(self) -> list[CrlFact]:
        """The newest CRL of every (kind, partition) published so far."""
        ...
