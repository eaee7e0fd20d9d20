"""PostgreSQL sequences for the CAs' issue sequence numbers (issue 14, item 18).

A certificate's ``seq`` (its CRL partition, its place in the CA's pages) used to come from
the ``issue-seq:<kind>`` row of ``counters``, whose lock was held from the reservation to
the COMMIT — through the signatures and the card file's fsync: every terminal's issuance
waited for the one before. On PostgreSQL the values now come from a sequence, which hands
out numbers without any lock (unique, never reused, with gaps where an issuance rolled
back), and the ``issue-seq:<kind>`` row only moves as the transaction's last statement,
just before COMMIT (store/repositories.py): it stays the signal the OCSP memory reads
("a certificate was issued since"), moved only by a commit, and the count of issued
certificates. SQLite keeps the counter row: its writer gate serialises writers anyway.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: the counter name → the PostgreSQL sequence that allocates its values
ISSUE_SEQUENCES = {"issue-seq:auth": "issue_seq_auth", "issue-seq:sign": "issue_seq_sign"}


def sequence_values(conn: Connection, sequence: str, count: int) -> list[int]:
    """``count`` fresh values of ``sequence`` (one round trip, no lock, never reused)."""
    rows = conn.execute(
        text(f"SELECT nextval('{sequence}') FROM generate_series(1, :n)"), {"n": count}
    )
    return sorted(int(v) for (v,) in rows)


def create_issue_sequences(conn: Connection) -> None:
    """Create the sequences if missing and move each above every value already handed out:
    the counter row, the highest ``seq`` stored, and the sequence's own last value (so it
    can run again — after a restore, or twice — without ever going back)."""
    for name, sequence in ISSUE_SEQUENCES.items():
        kind = name.partition(":")[2]
        conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {sequence} AS bigint MINVALUE 1"))
        conn.execute(
            text(
                f"SELECT setval('{sequence}', GREATEST(m.v, 1), m.v > 0) FROM (SELECT GREATEST("
                "COALESCE((SELECT value FROM counters WHERE name = :name), 0), "
                "COALESCE((SELECT max(seq) FROM certificates WHERE kind = :kind), 0), "
                f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence})"
                ") AS v) AS m"
            ),
            {"name": name, "kind": kind},
        )


def drop_issue_sequences(conn: Connection) -> None:
    for sequence in ISSUE_SEQUENCES.values():
        conn.execute(text(f"DROP SEQUENCE IF EXISTS {sequence}"))
