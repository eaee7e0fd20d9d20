"""The tamper-evident audit log: each entry's hash covers its fields and the previous hash.

Changing a row breaks its own hash; deleting one leaves a gap in ``seq`` and breaks the next
entry's ``prev_hash``; reordering breaks both. :func:`verify_chain` reports the first broken
link. (Truncating the tail is found by the signed checkpoints of services/checkpoints.py.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from madoguchi.services.domain import GENESIS, AuditEntry, entry_hash
from madoguchi.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, where: the clerk, the office and the terminal (or a system process)."""

    clerk: str
    office: str
    terminal: str


SYSTEM = Actor("system", "main", "batch")


def record(
    uow: UnitOfWork,
    at: datetime,
    actor: Actor,
    action: str,
    detail: Mapping[str, Any] | None = None,
    *,
    case_id: str | None = None,
    resident_id: str | None = None,
    certificate: str | None = None,
) -> None:
    """Append one entry for ``actor`` in ``uow``'s transaction (the one way services log)."""
    uow.counter.append_audit(
        at=at,
        clerk=actor.clerk,
        office=actor.office,
        terminal=actor.terminal,
        action=action,
        case_id=case_id,
        resident_id=resident_id,
        certificate=certificate,
        detail=dict(detail or {}),
    )


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None  # seq of the first entry that does not verify
    problem: str | None = None  # changed, missing, out_of_order

    @property
    def message(self) -> str:
        if self.ok:
            return f"監査ログ {self.checked} 件を検証しました。改ざんはありません。"
        what = {
            "changed": "内容が変更されています",
            "missing": "記録が削除されています",
            "out_of_order": "順序が入れ替わっています",
        }.get(self.problem or "", "不整合があります")
        return f"監査ログの {self.broken_at} 番目で{what}。"


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Walk the log in storage order and report the first broken link."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in entries:
        if entry.seq != expected_seq:
            problem = "missing" if entry.seq > expected_seq else "out_of_order"
            return ChainReport(False, checked, expected_seq, problem)
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "out_of_order")
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, checked, entry.seq, "changed")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return ChainReport(True, checked)
