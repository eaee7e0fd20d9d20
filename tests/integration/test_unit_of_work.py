"""Units of work (issue 13): no unit of work inside another, and read-only ones that neither
write nor wait — on the real store, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.services.ports import NestedUnitOfWork


@pytest.fixture
def c(tmp_path: Path, db_url: str) -> Container:
    return Container(Settings(data_dir=tmp_path / "data", database_url=db_url)).start(ca=False)


def test_a_unit_of_work_inside_another_fails_at_once_naming_both(c: Container) -> None:
    with c.uow() as outer:
        outer.pki.next_value("nesting")
        with pytest.raises(NestedUnitOfWork) as raised, c.uow():
            pass  # never reached: the second one is refused before it begins
    message = str(raised.value)
    assert "test_unit_of_work.py" in raised.value.outer
    assert "test_unit_of_work.py" in raised.value.inner
    assert raised.value.outer != raised.value.inner  # two lines: where each was opened
    assert raised.value.outer in message and raised.value.inner in message


@pytest.mark.parametrize("inner", ["write", "read"])
@pytest.mark.parametrize("outer", ["write", "read"])
def test_every_kind_of_nesting_is_refused(c: Container, outer: str, inner: str) -> None:
    """A read inside a write would read around the write's uncommitted changes; a write inside
    anything would wait for the first one's gate on SQLite (the 30-second hang)."""
    opened = {"write": c.uow, "read": c.uow.read_only}
    with opened[outer](), pytest.raises(NestedUnitOfWork), opened[inner]():
        pass


def test_after_a_refused_nesting_the_outer_one_still_commits(c: Container) -> None:
    with c.uow() as outer:
        outer.pki.next_value("nesting")
        with pytest.raises(NestedUnitOfWork), c.uow.read_only():
            pass
        outer.commit()
    with c.uow.read_only() as reader:
        assert reader.pki.counter("nesting") == 1
    with c.uow() as again:  # closed properly: the next one opens
        again.pki.next_value("nesting")
        again.commit()


def test_units_of_work_of_other_threads_are_not_nesting(c: Container) -> None:
    seen: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with c.uow.read_only() as reader:
                seen.append(reader.pki.counter("nesting"))
        except BaseException as exc:
            errors.append(exc)

    with c.uow() as writer:
        writer.pki.next_value("nesting")
        t = threading.Thread(target=read)
        t.start()
        t.join(20)
        writer.commit()
    assert not errors and seen == [0]


def test_a_read_only_unit_of_work_has_no_commit(c: Container) -> None:
    with c.uow.read_only() as reader:
        assert not hasattr(reader, "commit")
        assert reader.pki.counter("nesting") == 0
