"""Units of work over SQLAlchemy sessions: one that may write, one that only reads.

The writer begins its transaction as the engine says (SQLite: at the writer gate, ``BEGIN
IMMEDIATE``; store/db.py). The reader runs on the read engine: a snapshot that never waits
for a writer nor makes one wait (SQLite WAL, ``PRAGMA query_only``; PostgreSQL ``READ
ONLY`` transactions), and it refuses to flush anything. Both refuse to open inside another
unit of work of the same thread (services/ports.py).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.services.ports import close_unit_of_work, open_unit_of_work
from madoguchi.store.checkpoint_repository import CheckpointRepository
from madoguchi.store.counter_repository import CounterRepository
from madoguchi.store.notice_repository import NoticeRepository
from madoguchi.store.ops_queries import StoreOpsQueries
from madoguchi.store.repositories import PkiRepository
from madoguchi.store.staff_repository import StaffRepository


class _Base:
    session: Session
    pki: PkiRepository
    counter: CounterRepository
    staff: StaffRepository
    notices: NoticeRepository
    checkpoints: CheckpointRepository
    ops: StoreOpsQueries

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._token: object | None = None

    def _open(self) -> None:
        self._token = open_unit_of_work()
        try:
            self.session = self._factory()
        except BaseException:
            close_unit_of_work(self._token)
            raise
        self.pki = PkiRepository(self.session)
        self.counter = CounterRepository(self.session)
        self.staff = StaffRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.checkpoints = CheckpointRepository(self.session)
        self.ops = StoreOpsQueries(self.session)

    def _close(self) -> None:
        try:
            self.session.rollback()
        finally:
            try:
                self.session.close()
            finally:
                if self._token is not None:
                    close_unit_of_work(self._token)
                    self._token = None


class SqlUnitOfWork(_Base):
    """``with uow: …; uow.commit()`` — leaving without commit rolls back."""

    def __enter__(self) -> SqlUnitOfWork:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def commit(self) -> None:
        self.pki.before_commit()  # the issue counters' rows, locked only from here on
        self.session.commit()

    def rollback(self) -> None:
        self.pki.forget_pending()
        self.session.rollback()


class SqlReadOnlyUnitOfWork(_Base):
    """A snapshot to read from; nothing it does is ever written."""

    def __enter__(self) -> SqlReadOnlyUnitOfWork:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()


class ReadOnlyViolation(RuntimeError):
    """Something tried to write inside a read-only unit of work."""


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("a read-only unit of work does not write")


def read_only_sessions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A session factory whose sessions refuse to flush changes."""
    event.listen(factory, "before_flush", _refuse_flush)
    return factory


class SqlUowFactory:
    """The store's :class:`madoguchi.services.ports.UowFactory`."""

    def __init__(self, writer: sessionmaker[Session], reader: sessionmaker[Session]) -> None:
        self._writer = writer
        self._reader = read_only_sessions(reader)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._writer)

    def read_only(self) -> SqlReadOnlyUnitOfWork:
        return SqlReadOnlyUnitOfWork(self._reader)
