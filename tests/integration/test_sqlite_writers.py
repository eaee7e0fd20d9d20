"""SQLite's writers queue at the store's gate (store/db.py WriterGate) instead of sleeping in
SQLite's busy handler, and read-only units of work (store/uow.py) never wait for a writer."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.store.db import (
    WriterGate,
    make_engine,
    make_reader_engine,
    session_factory,
    upgrade,
    writer_gate,
)
from madoguchi.store.uow import ReadOnlyViolation, SqlUnitOfWork, SqlUowFactory

HANG_GUARD = 120.0  # seconds: stops a hung test; never a speed requirement


def _factory(url: str) -> SqlUowFactory:
    engine = make_engine(url)
    return SqlUowFactory(session_factory(engine), session_factory(make_reader_engine(url, engine)))


def _sessions(url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(url))


def _url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    upgrade(url)
    return url


def test_a_read_only_unit_of_work_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = _url(tmp_path)
    uow = _factory(url)
    seen: list[int] = []

    def read() -> None:  # another thread: no unit of work inside another
        with uow.read_only() as reader:
            seen.append(reader.pki.counter("gate-test"))

    with uow() as writer:
        writer.pki.next_value("gate-test")  # the write lock is held until the end of this block
        reading = threading.Thread(target=read)
        reading.start()
        reading.join(20)  # a hang guard: a reader waiting for the gate would take 30 s
        assert seen == [0]  # the snapshot before the writer's, read while the writer writes
        writer.commit()
    with uow.read_only() as reader:
        assert reader.pki.counter("gate-test") == 1


def test_a_read_only_unit_of_work_cannot_write(tmp_path: Path) -> None:
    """Read-only is a type (no write methods) and, should anything try all the same, the
    session refuses to flush and SQLite refuses the statement (PRAGMA query_only)."""
    uow = _factory(_url(tmp_path))
    with uow.read_only() as reader:
        reader.session.add(_counter_row("gate-test"))
        with pytest.raises(ReadOnlyViolation):
            reader.session.flush()
    with uow.read_only() as reader, pytest.raises(OperationalError, match="readonly"):
        reader.session.execute(text("INSERT INTO counters (name, value) VALUES ('x', 1)"))
    with uow.read_only() as reader:
        assert not hasattr(reader, "commit")
        assert reader.pki.counter("x") == 0


def _counter_row(name: str) -> object:
    from madoguchi.store.models import CounterRow

    return CounterRow(name=name, value=1)


def test_concurrent_writers_of_two_engines_all_get_through_in_turn(tmp_path: Path) -> None:
    url = _url(tmp_path)
    engines = [_sessions(url), _sessions(url)]  # two engines: one gate per file
    errors: list[BaseException] = []
    inside = [0]
    most = [0]
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            for _ in range(15):
                with SqlUnitOfWork(engines[n % 2]) as u:
                    u.pki.next_value("gate-test")
                    with lock:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    time.sleep(0.001)
                    with lock:
                        inside[0] -= 1
                    u.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert most[0] == 1  # one writer at a time
    with _factory(url).read_only() as r:
        assert r.pki.counter("gate-test") == 8 * 15


def test_a_writer_that_leaves_without_commit_lets_the_next_one_in(tmp_path: Path) -> None:
    url = _url(tmp_path)
    uow = _factory(url)
    with uow() as first:
        first.pki.next_value("gate-test")  # rolled back on leaving
    done = threading.Event()

    def write() -> None:
        with _factory(url)() as other:
            other.pki.next_value("gate-test")
            other.commit()
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(10)
    with uow.read_only() as reader:
        assert reader.pki.counter("gate-test") == 1


def _hold_the_gate(url: str, held: Any, go: Any) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO counters (name, value) VALUES ('gate-other', 1)"))
        held.set()
        go.wait(20)
        conn.commit()


def test_another_process_is_waited_for_on_the_lock_file(tmp_path: Path) -> None:
    url = _url(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    held, go = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_the_gate, args=(url, held, go))
    proc.start()
    try:
        assert held.wait(30)
        gate = writer_gate(url)
        assert gate._lock_path is not None and Path(gate._lock_path).exists()
        done = threading.Event()

        def write() -> None:
            with _factory(url)() as u:
                u.pki.next_value("gate-test")
                u.commit()
            done.set()

        threading.Thread(target=write).start()
        assert not done.wait(0.5)  # queued behind the other process, not failing
        go.set()
        assert done.wait(20)
    finally:
        go.set()
        proc.join(30)
    assert proc.exitcode == 0


def test_a_writer_gives_up_after_the_timeout_and_its_place_is_skipped(tmp_path: Path) -> None:
    """A writer stuck inside its transaction makes the others fail after the timeout (the
    web says 'database unavailable'), not hang; the queue goes on without the ones that left."""
    gate = WriterGate(str(tmp_path / "gate.lock"), timeout=0.3)
    first, second, third = object(), object(), object()
    entered = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        gate.acquire(first)
        entered.set()
        leave.wait(HANG_GUARD)
        gate.release(first)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(HANG_GUARD)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        gate.acquire(second)
    assert time.monotonic() - started >= 0.25  # it waited its timeout (0.3 s) before giving up
    leave.set()
    holder.join(HANG_GUARD)
    gate.acquire(third)  # the abandoned ticket does not block the queue
    gate.release(third)


def test_a_process_holding_the_lock_file_makes_a_writer_time_out(tmp_path: Path) -> None:
    lock = tmp_path / "gate.lock"
    gate = WriterGate(str(lock), timeout=0.3)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as another process would
        with pytest.raises(OperationalError, match="another process"):
            gate.acquire(object())
        fcntl.flock(fd, fcntl.LOCK_UN)
        conn = object()
        gate.acquire(conn)  # free again: the thread queue was left in order
        gate.release(conn)
    finally:
        os.close(fd)
