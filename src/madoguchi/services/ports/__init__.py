"""The ports the services need; the store implements them (cosmicpython's dependency rule).

Each repository is two Protocols: a reader, which is all a read-only unit of work offers,
and a writer that adds the methods that change rows or lock them (``for_update``). A read-only
unit of work is its own type: it has readers only and no ``commit``, so a page that only
reads cannot write by mistake — mypy says so — and the store runs it as a snapshot that never
waits for a writer (store/uow.py). Opening a unit of work while another is open in the same
thread raises :class:`NestedUnitOfWork` at once (the second would wait for the first on
SQLite's writer gate, or read around the first's uncommitted changes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Protocol, Self

from madoguchi.services.ports.ca import (
    AnsweredOrder,
    CardResidence,
    CertificateAuthority,
    HolderRecord,
    IssueIntent,
    IssueOrder,
    IssueRequest,
    MunicipalityCounter,
    NetworkCa,
    RaCredential,
)
from madoguchi.services.ports.counter import CounterReader, CounterRepo
from madoguchi.services.ports.notices import NoticeReader, NoticeRepo
from madoguchi.services.ports.ops import OpsReader
from madoguchi.services.ports.pki import PkiReader, PkiRepo
from madoguchi.services.ports.staff import (
    CheckpointReader,
    CheckpointRepo,
    StaffReader,
    StaffRepo,
)

__all__ = [
    "AnsweredOrder",
    "CardResidence",
    "CertificateAuthority",
    "CheckpointReader",
    "CheckpointRepo",
    "Clock",
    "CounterReader",
    "CounterRepo",
    "HolderRecord",
    "IssueIntent",
    "IssueOrder",
    "IssueRequest",
    "MunicipalityCounter",
    "NestedUnitOfWork",
    "NetworkCa",
    "NoticeReader",
    "NoticeRepo",
    "OpsReader",
    "PkiReader",
    "PkiRepo",
    "RaCredential",
    "ReadOnlyUnitOfWork",
    "StaffReader",
    "StaffRepo",
    "UnitOfWork",
    "UowFactory",
    "close_unit_of_work",
    "open_unit_of_work",
]

Clock = Callable[[], datetime]


# -- units of work ------------------------------------------------------------------------------
class ReadOnlyUnitOfWork(Protocol):
    """A snapshot: readers only, nothing to commit."""

    @property
    def pki(self) -> PkiReader: ...
    @property
    def counter(self) -> CounterReader: ...
    @property
    def staff(self) -> StaffReader: ...
    @property
    def notices(self) -> NoticeReader: ...
    @property
    def checkpoints(self) -> CheckpointReader: ...
    @property
    def ops(self) -> OpsReader: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow: …; uow.commit()`` — leaving without commit rolls back."""

    @property
    def pki(self) -> PkiRepo: ...
    @property
    def counter(self) -> CounterRepo: ...
    @property
    def staff(self) -> StaffRepo: ...
    @property
    def notices(self) -> NoticeRepo: ...
    @property
    def checkpoints(self) -> CheckpointRepo: ...

    @property
    def ops(self) -> OpsReader: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UowFactory(Protocol):
    """``uow()`` opens a unit of work that may write; ``uow.read_only()`` a snapshot."""

    def __call__(self) -> UnitOfWork: ...
    def read_only(self) -> ReadOnlyUnitOfWork: ...


# -- no unit of work inside another -----------------------------------------------------------
# A second unit of work opened while one is open in the same thread either waits for the
# first (on SQLite the writer gate is held by the first, which waits for the second to
# return: the 30-second hang of issue 13) or reads around the first one's uncommitted
# changes. Both are defects of the caller, so every unit of work — the store's and the tests'
# fakes — enters this guard, and the second is refused at once with both call sites named.
# The open unit of work is kept in a context variable: each thread (and each asyncio task)
# has its own, so two requests served at once never see each other's.

_OPEN: ContextVar[str | None] = ContextVar("madoguchi_open_unit_of_work", default=None)
_HERE = str(Path(__file__).resolve().parents[2])  # src/madoguchi
_SKIP = ("/store/uow.py", "/services/ports/__init__.py", "/contextlib.py", "fakes.py")


class NestedUnitOfWork(RuntimeError):
    """A unit of work was opened while another was open in the same thread."""

    def __init__(self, outer: str, inner: str) -> None:
        super().__init__(
            f"a unit of work was opened at {inner} while the one opened at {outer} is still "
            "open in this thread: finish the first one before opening another "
            "(no unit of work inside another)"
        )
        self.outer = outer
        self.inner = inner


def _call_site() -> str:
    """``file:line in function`` of the code that opened the unit of work."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(_SKIP):
        frame = frame.f_back
    if frame is None:
        return "?"
    name = frame.f_code.co_filename
    if name.startswith(_HERE):
        name = "madoguchi" + name[len(_HERE) :]
    return f"{name}:{frame.f_lineno} in {frame.f_code.co_name}"


def open_unit_of_work() -> object:
    """Mark a unit of work open in this context; raises when one is open already.

    Returns the token the matching :func:`close_unit_of_work` needs."""
    outer = _OPEN.get()
    site = _call_site()
    if outer is not None:
        raise NestedUnitOfWork(outer, site)
    return _OPEN.set(site)


def close_unit_of_work(token: object) -> None:
    _OPEN.reset(token)  # type: ignore[arg-type]


def is_open() -> bool:
    """Whether a unit of work is open in this context (for code that must run outside one)."""
    return _OPEN.get() is not None
