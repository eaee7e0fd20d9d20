"""Units of work that only read, marked so the store can run them without its write lock.

On SQLite every unit of work begins ``BEGIN IMMEDIATE`` (one writer at a time, decided at
the start: store/db.py); one opened inside :func:`read_only` begins a deferred transaction
instead, a snapshot of the database that never waits for a writer (WAL) and never makes a
writer wait. PostgreSQL ignores the mark (its readers never lock). Code inside must not write:
SQLite would have to upgrade the snapshot to a write transaction, which fails if another
writer committed since it began.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_READ_ONLY: ContextVar[bool] = ContextVar("madoguchi_read_only", default=False)


@contextmanager
def read_only() -> Iterator[None]:
    """Units of work begun inside only read."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def is_read_only() -> bool:
    return _READ_ONLY.get()
