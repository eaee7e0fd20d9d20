"""Engines and migrations. Nothing is created at import time (DESIGN.md convention 7)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.observability.metrics import WRITER_WAIT


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its directory."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


#: how long a SQLite writer waits for the database (SQLite's own busy timeout)
WRITER_TIMEOUT = 30.0


def _sqlite_path(url: str) -> str | None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    return None if not path or path == ":memory:" or path.startswith("file:") else path


class WriterGate:
    """One SQLite writer at a time, in the order they asked, without SQLite's busy handler.

    SQLite lets one transaction write; a second ``BEGIN IMMEDIATE`` finds the database
    locked and its busy handler sleeps, with growing sleeps, and tries again — so under
    load a writer that just arrived often wins over one that has been sleeping, and some
    wait for seconds (bench/api_bench.py measured 11 s p99 with 20 terminals). Writers
    queue here instead, before ``BEGIN IMMEDIATE``: the threads of this process in a
    first-come first-served queue, and the processes sharing the database file (the
    workers of ``madoguchi serve``, the CLI) on an advisory lock of a file next to it, on
    which the kernel wakes a waiter when the holder lets go. The gate is let go after the
    transaction's COMMIT or ROLLBACK, so the next writer's BEGIN finds the database free.

    Re-entrant per thread (a second unit of work opened inside a first one by the same
    thread passes the gate and meets SQLite's own lock, as before).

    A writer waits at most ``timeout`` seconds (SQLite's own busy timeout, 30 s), then gets
    an OperationalError, which the web and the CLI say as "database unavailable": a
    process stuck inside a write transaction never hangs every other writer for good.
    """

    def __init__(self, lock_path: str | None, timeout: float = WRITER_TIMEOUT) -> None:
        self._lock_path = lock_path
        self._timeout = timeout
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket allowed in
        self._owner: int | None = None
        self._held: set[int] = set()  # the DBAPI connections inside the gate
        self._abandoned: set[int] = set()  # tickets whose writer gave up waiting
        self._fd: int | None = None

    def acquire(self, dbapi_conn: Any) -> None:
        if self._pid != os.getpid():  # a forked child: nothing of the parent's is held here
            self._reset()
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._held.add(id(dbapi_conn))
                return
            ticket = self._next
            self._next += 1
            deadline = time.monotonic() + self._timeout
            while self._serving != ticket:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._abandoned.add(ticket)  # the writer before us lets us be skipped
                    raise _locked("another writer of this process held the database")
                self._cond.wait(left)
            self._owner = me
        try:
            self._lock_file(deadline)
        except BaseException:
            self._leave()
            raise
        with self._cond:
            self._held.add(id(dbapi_conn))

    def release(self, dbapi_conn: Any) -> None:
        """After the connection's COMMIT or ROLLBACK; a no-op for a connection not inside."""
        with self._cond:
            if id(dbapi_conn) not in self._held or self._pid != os.getpid():
                return
            self._held.discard(id(dbapi_conn))
            if self._held:
                return
        self._unlock_file()
        self._leave()

    def _leave(self) -> None:
        with self._cond:
            self._owner = None
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._cond.notify_all()

    def _lock_file(self, deadline: float) -> None:
        if self._lock_path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # flock has no timeout: try without blocking, then again after short sleeps (at most
        # 5 ms: only the head writer of each process waits here, the others queue above)
        pause = 0.0005
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked("another process held the database") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.005)

    def _unlock_file(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _locked(why: str) -> OperationalError:
    return OperationalError(
        "BEGIN IMMEDIATE", None, sqlite3.OperationalError(f"database is locked ({why})")
    )


_GATES: dict[str | None, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def writer_gate(url: str) -> WriterGate:
    """The process's gate of a SQLite database (one per file, shared by its engines)."""
    path = _sqlite_path(url)
    key = os.path.realpath(path) if path else None
    with _GATES_LOCK:
        gate = _GATES.get(key) if key else None
        if gate is None:
            gate = WriterGate(key + "-writer.lock" if key else None)
            if key:
                _GATES[key] = gate
        return gate


def _dbapi(conn: Any) -> Any:
    return getattr(conn, "dbapi_connection", conn)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout (the embedded default) and
    its writers queued at a :class:`WriterGate`."""
    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": WRITER_TIMEOUT}, **kwargs
        )
        gate = writer_gate(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun below, not by pysqlite
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # One writer at a time, decided when the transaction starts: a transaction that
            # read a row cannot later find it changed by another (the embedded default's
            # answer to SELECT ... FOR UPDATE; PostgreSQL locks rows instead).
            raw = _dbapi(conn.connection)
            waited = time.perf_counter()
            gate.acquire(raw)
            WRITER_WAIT.observe(time.perf_counter() - waited)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                gate.release(raw)
                raise

        dialect = engine.dialect
        do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

        def _commit(dbapi_conn: Any) -> None:
            try:
                do_commit(dbapi_conn)
            finally:
                gate.release(_dbapi(dbapi_conn))

        def _rollback(dbapi_conn: Any) -> None:
            # also the pool's reset of a connection handed back inside a transaction
            try:
                do_rollback(dbapi_conn)
            finally:
                gate.release(_dbapi(dbapi_conn))

        @event.listens_for(engine, "invalidate")
        def _invalidated(dbapi_conn: Any, _record: Any, _exc: Any) -> None:
            gate.release(dbapi_conn)  # closed inside its transaction: SQLite rolled it back

        @event.listens_for(engine, "close")
        def _closed(dbapi_conn: Any, _record: Any) -> None:
            gate.release(dbapi_conn)

        dialect.do_commit = _commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = _rollback  # type: ignore[method-assign,assignment]
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_reader_engine(url: str, writer: Engine) -> Engine:
    """The engine of read-only units of work (store/uow.py).

    SQLite: an engine of its own whose transactions begin deferred — a snapshot (WAL) that
    never waits for the writer nor makes it wait — on connections that refuse to write
    (``PRAGMA query_only``). PostgreSQL: the writer's pool, each transaction ``READ ONLY``
    (readers never lock there)."""
    if not url.startswith("sqlite"):
        return writer.execution_options(postgresql_readonly=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": WRITER_TIMEOUT}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "madoguchi.store:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``madoguchi db upgrade``)."""
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
