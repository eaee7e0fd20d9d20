"""Signed checkpoints of the audit log (issue 8): truncating the tail is detected too.

The hash chain (services/audit.py) finds a changed, deleted or reordered entry, but not the
last entries cut off: what remains is still a valid chain. A checkpoint records the newest
entry's sequence number and hash, signed with Ed25519 by a key that is not in the database
(``data_dir/secrets/audit-checkpoint.key``, or configured), and is written twice: to the
database and, one line each, to an append-only file outside it
(``data_dir/audit/checkpoints.log``). ``madoguchi audit verify`` checks that every
checkpoint of either place names an entry that still exists with the same hash — so a log cut
below a checkpoint fails — and that each signature is good. Run ``madoguchi audit
checkpoint`` from cron (hourly, say); each notice batch makes one too.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from madoguchi.services.ports import Clock, UowFactory


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    signature: bytes

    def message(self) -> bytes:
        return f"madoguchi-audit-checkpoint|{self.seq}|{self.hash}|{self.at.isoformat()}".encode()

    def line(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "hash": self.hash,
                "at": self.at.isoformat(),
                "sig": base64.b64encode(self.signature).decode(),
            }
        )

    @staticmethod
    def from_line(line: str) -> Checkpoint:
        d = json.loads(line)
        return Checkpoint(
            d["seq"], d["hash"], datetime.fromisoformat(d["at"]), base64.b64decode(d["sig"])
        )


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    ok: bool
    checked: int
    problem: str | None = None  # truncated, changed, bad_signature, file_missing_rows
    at_seq: int | None = None

    @property
    def message(self) -> str:
        if self.ok:
            return f"チェックポイント {self.checked} 件を検証しました。末尾の削除はありません。"
        what = {
            "truncated": "チェックポイントの後の記録が削除されています（末尾の切り詰め）",
            "changed": "チェックポイントと記録の内容が一致しません",
            "bad_signature": "チェックポイントの署名が正しくありません",
            "file_missing_rows": "データベースからチェックポイントが削除されています",
        }.get(self.problem or "", "不整合があります")
        return f"監査ログの {self.at_seq} 番目: {what}。"


class CheckpointService:
    def __init__(
        self, uow_factory: UowFactory, clock: Clock, key: Ed25519PrivateKey, log_file: Path
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.key = key
        self.public: Ed25519PublicKey = key.public_key()
        self.log_file = log_file

    def make(self) -> Checkpoint | None:
        """Sign the newest entry; None when the log is empty or already checkpointed there."""
        with self.uow_factory() as uow:
            last = uow.checkpoints.last_entry()
            if last is None or uow.checkpoints.exists(last[0]):
                return None
            cp = Checkpoint(last[0], last[1], self.clock(), b"")
            cp = Checkpoint(cp.seq, cp.hash, cp.at, self.key.sign(cp.message()))
            uow.checkpoints.add(cp.seq, cp.hash, cp.at, cp.signature)
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("a", encoding="utf-8") as f:  # before the commit: never a
                f.write(cp.line() + "\n")  # checkpoint in the DB that the file lacks
                f.flush()
                os.fsync(f.fileno())
            uow.commit()
        return cp

    def verify(self) -> CheckpointReport:
        from_file = []
        if self.log_file.exists():
            from_file = [
                Checkpoint.from_line(x) for x in self.log_file.read_text().splitlines() if x.strip()
            ]
        with self.uow_factory.read_only() as uow:
            in_db = {cp.seq: (cp.hash, cp.at, cp.signature) for cp in uow.checkpoints.all()}
            every = {cp.seq: cp for cp in from_file}
            for seq, (h, at, sig) in in_db.items():
                every.setdefault(seq, Checkpoint(seq, h, at, sig))
            for cp in sorted(every.values(), key=lambda c: c.seq):
                try:
                    self.public.verify(cp.signature, cp.message())
                except InvalidSignature:
                    return CheckpointReport(False, 0, "bad_signature", cp.seq)
                stored = uow.checkpoints.entry_hash(cp.seq)
                if stored is None:
                    return CheckpointReport(False, 0, "truncated", cp.seq)
                if stored != cp.hash:
                    return CheckpointReport(False, 0, "changed", cp.seq)
            missing = [cp.seq for cp in from_file if cp.seq not in in_db]
            if missing:
                return CheckpointReport(False, 0, "file_missing_rows", missing[0])
        return CheckpointReport(True, len(every))
