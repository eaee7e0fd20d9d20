"""Logical backup and restore of the store: every table as JSON lines, read in one
transaction (a consistent snapshot), portable between SQLite and PostgreSQL.

Values are tagged by column type: datetimes as ISO 8601 in UTC, dates as ISO dates, binary
columns in base64. Restoring migrates an empty database to the same revision first and
inserts the tables in dependency order; PostgreSQL's identity sequences are moved past the
restored ids.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from sqlalchemy import Date, Engine, LargeBinary, Table, func, insert, select, text

from madoguchi.services.domain import ServiceError
from madoguchi.store import (  # noqa: F401 - tables
    checkpoint_repository,
    counter_models,
    notice_models,
    staff_models,
)
from madoguchi.store.db import current_revision
from madoguchi.store.models import Base
from madoguchi.store.sequences import ISSUE_SEQUENCES, create_issue_sequences
from madoguchi.store.types import UtcDateTime

BATCH = 1000


class RestoreError(ServiceError):
    """A backup that cannot be read or restored; the code names why."""


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        value = getattr(row, col.key)
        if value is None:
            out[col.key] = None
        elif isinstance(col.type, LargeBinary):
            out[col.key] = base64.b64encode(value).decode()
        elif isinstance(value, datetime | date):
            out[col.key] = value.isoformat()
        else:
            out[col.key] = value
    return out


def _decode(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        value = data.get(col.key)
        if value is not None:
            if isinstance(col.type, LargeBinary):
                value = base64.b64decode(value)
            elif isinstance(col.type, UtcDateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(col.type, Date):
                value = date.fromisoformat(value)
        out[col.key] = value
    return out


def dump(engine: Engine) -> Iterator[str]:
    """Yield the store as lines: a header, then one line per row (``{"t": table, "r": …}``)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # one transaction: a consistent snapshot
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        # on SQLite the engine begins every transaction IMMEDIATE (store/db.py): no writer
        # can change the store while it is read
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in _tables()
        }
        yield json.dumps({"madoguchi_backup": 1, "revision": revision, "counts": counts})
        for table in _tables():
            result = conn.execution_options(yield_per=BATCH).execute(select(table))
            for row in result:
                yield json.dumps({"t": table.name, "r": _encode(table, row)}, ensure_ascii=False)


def _has_issue_sequences(conn: Any) -> bool:
    """Whether the store is migrated past 0009 (its issue sequences exist)."""
    found = conn.execute(
        text("SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relname = ANY(:names)"),
        {"names": list(ISSUE_SEQUENCES.values())},
    ).scalar()
    return bool(found)


def restore(engine: Engine, lines: IO[str]) -> dict[str, int]:
    """Insert the rows of a dump into an empty, migrated store; returns the counts."""
    header = json.loads(next(iter(lines)))
    if header.get("madoguchi_backup") != 1:
        raise RestoreError("not_a_backup", "the file is not a madoguchi backup")
    if current_revision(engine) != header["revision"]:
        raise RestoreError("revision_mismatch", f"the backup is of revision {header['revision']}")
    tables = {t.name: t for t in _tables()}
    counts: dict[str, int] = dict.fromkeys(tables, 0)
    with engine.begin() as conn:
        for t in tables.values():
            if conn.execute(select(func.count()).select_from(t)).scalar():
                raise RestoreError("store_not_empty", f"table {t.name} has rows")
        pending: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            item = json.loads(line)
            table = tables[item["t"]]
            pending.setdefault(table.name, []).append(_decode(table, item["r"]))
            if len(pending[table.name]) >= BATCH:
                conn.execute(insert(table), pending.pop(table.name))
                counts[table.name] += BATCH
        for name, rows in pending.items():
            conn.execute(insert(tables[name]), rows)
            counts[name] += len(rows)
        if engine.dialect.name == "postgresql":
            for t in tables.values():
                for col in t.primary_key.columns:
                    if col.autoincrement is True or (
                        col.autoincrement == "auto" and col.type.python_type is int
                    ):
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{t.name}', '{col.name}'), "
                                f"COALESCE((SELECT MAX({col.name}) FROM {t.name}), 0) + 1, false)"
                            )
                        )
            if _has_issue_sequences(conn):
                create_issue_sequences(conn)  # above the restored counters and seqs
    if {k: v for k, v in counts.items() if v} != {k: v for k, v in header["counts"].items() if v}:
        raise RestoreError("incomplete", f"restored {counts}, expected {header['counts']}")
    return counts
