"""Filling a migrated store with a million rows quickly, for the benchmarks (never timed).

Rows go straight to the tables the repositories read, through the database drivers: SQLite
by one ``executemany`` in one transaction (rollback journal and no fsync while filling, the
table's indexes dropped and rebuilt after), PostgreSQL by ``COPY`` (indexes likewise).
Values are Python values as the repositories write them (aware UTC datetimes, dates,
bytes); for SQLite they are converted to the text SQLAlchemy stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def sqlite_time(t: datetime) -> str:
    """SQLAlchemy's SQLite text for a UtcDateTime (naive UTC, with microseconds)."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_converter(value: Any) -> Callable[[Any], Any] | None:
    if isinstance(value, datetime):
        return lambda v: None if v is None else sqlite_time(v)
    if isinstance(value, date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(value, bool):
        return lambda v: None if v is None else int(v)
    return None


def _converted(rows: Iterable[Sequence[Any]]) -> Iterable[tuple[Any, ...]]:
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    convs = [_sqlite_converter(v) for v in first]
    if not any(convs):
        yield tuple(first)
        yield from (tuple(r) for r in it)
        return
    pairs = [(i, c) for i, c in enumerate(convs) if c is not None]

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        out = list(row)
        for i, c in pairs:
            out[i] = c(out[i])
        return tuple(out)

    yield convert(first)
    yield from (convert(r) for r in it)


def sqlite_bulk(
    path: Path, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append rows to ``table`` of the SQLite store at ``path`` (no other connection open)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # a WAL would write every page twice
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-524288")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? "
            "AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.executemany(sql, _converted(rows))
        for _, create in indexes:
            conn.execute(create)
        conn.execute("COMMIT")
        conn.execute(f"ANALYZE {table}")
        conn.execute("PRAGMA journal_mode=WAL")  # the store's mode (store/db.py)
    finally:
        conn.close()


def postgres_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def postgres_bulk(
    url: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append rows to ``table`` by COPY, its secondary indexes rebuilt after."""
    import psycopg

    with psycopg.connect(postgres_dsn(url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while filling
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef, c.conname FROM pg_indexes i "
            "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
            "WHERE i.tablename = %s AND c.contype IS DISTINCT FROM 'p'",
            (table,),
        ).fetchall()
        for name, _, constraint in indexes:
            if constraint:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            else:
                conn.execute(f'DROP INDEX "{name}"')
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with conn.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        for name, create, constraint in indexes:
            if constraint:
                cols = create[create.index("(") :]
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE {cols}')
            else:
                conn.execute(create)
        conn.commit()
        conn.autocommit = True
        conn.execute(f"VACUUM ANALYZE {table}")
