"""Reads for the OCSP responder outside any unit of work: a few counters ("has any status
changed since I last looked?") and the answers pre-signed at issuance or status change.

The reader keeps one dedicated autocommit connection, detached from the engine's pool, and
runs plain SQL on it, one caller at a time: no session, no ORM, no transaction to begin or
roll back — and on SQLite no ``BEGIN IMMEDIATE``, so the responder's reads never queue
behind the counter's writers, nor behind each other across server processes.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from madoguchi.pki.records import serial_hex
from madoguchi.rules.validity import CertKind

_NAME = re.compile(r"^[A-Za-z0-9_:.-]+$")
T = TypeVar("T")


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


class OcspReader:
    """``counters() -> {name: value}`` for a fixed set of counters (0 when never
    incremented); ``presigned(kind, serial) -> (der, next_update) | None``."""

    def __init__(self, engine: Engine, names: Sequence[str]) -> None:
        if not names or not all(_NAME.match(n) for n in names):
            raise ValueError("counter names are plain identifiers")
        self._engine = engine
        self._names = tuple(names)
        listed = ", ".join(f"'{n}'" for n in self._names)  # constants, checked above
        self._counters_sql = f"SELECT name, value FROM counters WHERE name IN ({listed})"
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._answer_sql = (
            "SELECT der, next_update FROM ocsp_responses "
            f"WHERE kind = {mark} AND serial_hex = {mark} AND NOT stale"
        )
        self._current_sql = (
            "SELECT c.seq, c.serial_hex, o.der, o.next_update, o.stale "
            "FROM certificates c LEFT JOIN ocsp_responses o "
            "ON o.kind = c.kind AND o.serial_hex = c.serial_hex "
            f"WHERE c.kind = {mark} AND c.not_after > {mark} AND c.seq > {mark} "
            f"ORDER BY c.seq LIMIT {mark}"
        )
        self._changed_sql = (
            "SELECT serial_hex FROM certificates "
            f"WHERE kind = {mark} AND not_after > {mark} AND status_changed_at >= {mark}"
        )
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._conn: Any = None

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def counters(self) -> Mapping[str, int]:
        rows = self._run(self._counters_sql, ())
        found = {str(name): int(value) for name, value in rows}
        return {n: found.get(n, 0) for n in self._names}

    def presigned(self, kind: CertKind, serial: int) -> tuple[bytes, datetime] | None:
        rows = self._run(self._answer_sql, (kind.value, serial_hex(serial)))
        if not rows:
            return None
        der, next_update = rows[0]
        return bytes(der), _utc(next_update)

    def current(
        self, kind: CertKind, at: datetime, after_seq: int, limit: int
    ) -> list[tuple[int, int, bytes | None, datetime | None]]:
        """A page of the CA's certificates not expired at ``at``, by issuance sequence:
        (seq, serial, pre-signed answer or None, its nextUpdate or None)."""
        rows = self._run(self._current_sql, (kind.value, self._time(at), after_seq, limit))
        return [
            (
                int(seq),
                int(hex_serial, 16),
                None if der is None or stale else bytes(der),
                None if der is None or stale else _utc(next_update),
            )
            for seq, hex_serial, der, next_update, stale in rows
        ]

    def changed_since(self, kind: CertKind, at: datetime, since: datetime) -> list[int]:
        """Serials of the CA's current certificates whose status changed at ``since`` or later."""
        rows = self._run(self._changed_sql, (kind.value, self._time(at), self._time(since)))
        return [int(hex_serial, 16) for (hex_serial,) in rows]

    def _time(self, at: datetime) -> Any:
        utc = at.astimezone(UTC)
        # SQLite compares the text the store wrote (store.types.UtcDateTime): naive UTC
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if self._sqlite else utc

    def _connect(self) -> Any:
        proxied = self._engine.raw_connection()
        conn: Any = proxied.driver_connection
        proxied.detach()  # ours for the process's lifetime; never handed back to the pool
        if self._engine.dialect.name == "postgresql":
            conn.autocommit = True
        # SQLite: the engine's connect hook already set isolation_level=None (autocommit)
        self._conn = conn
        return conn

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        def query(conn: Any) -> list[Any]:
            cur = conn.cursor()
            try:
                cur.execute(sql, params)
                return list(cur.fetchall())
            finally:
                cur.close()

        return self._with_connection(query)

    def _with_connection(self, fn: Callable[[Any], T]) -> T:
        with self._lock:
            conn = self._conn if self._conn is not None else self._connect()
            try:
                return fn(conn)
            except Exception:
                # a dropped connection (a server restart): one fresh try, then let it raise
                self._conn = None
                with contextlib.suppress(Exception):
                    conn.close()
                return fn(self._connect())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
