"""The unit of work: one transaction per use case; it owns commit and rollback."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from madoguchi.store.checkpoint_repository import CheckpointRepository
from madoguchi.store.counter_repository import CounterRepository
from madoguchi.store.notice_repository import NoticeRepository
from madoguchi.store.repositories import PkiRepository
from madoguchi.store.staff_repository import StaffRepository


class UnitOfWork:
    """``with uow: …; uow.commit()`` — leaving without commit rolls back."""

    session: Session
    pki: PkiRepository
    counter: CounterRepository
    staff: StaffRepository
    notices: NoticeRepository
    checkpoints: CheckpointRepository

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.pki = PkiRepository(self.session)
        self.counter = CounterRepository(self.session)
        self.staff = StaffRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.checkpoints = CheckpointRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
