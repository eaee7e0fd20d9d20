"""The in-memory unit of work the service tests run on (tests/support/fakes.py) keeps the
promises of the ports (services/ports/) and of the SQL store: no unit of work inside another
(issue 13), changes seen only once committed, a read-only one that writes nothing and waits
for no writer, optimistic version checks, the audit hash chain."""

from __future__ import annotations

import inspect
import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.procedures import Applicant
from madoguchi.services.audit import verify_chain
from madoguchi.services.domain import Case, ConcurrentUpdate, Resident, ResidentStatus
from madoguchi.services.ports import NestedUnitOfWork, UowFactory, is_open
from madoguchi.services.siteconfig import SiteConfigService
from tests.support.clock import FakeClock
from tests.support.fakes import (
    DuplicateKey,
    FakeReadOnlyUnitOfWork,
    FakeUnitOfWork,
    FakeUowFactory,
    ReadOnlyViolation,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
THIS = __file__


def line() -> int:
    """The caller's line number."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def resident(rid: str = "R1") -> Resident:
    return Resident(
        rid,
        "帯広\u3000太郎",
        "オビヒロ\u3000タロウ",
        date(1980, 7, 1),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        NOW,
    )


def case(cid: str = "C1") -> Case:
    return Case(
        cid, CaseKind.P1, "R1", None, "main", "clerk01", "T1", CaseState.OPEN, Applicant.SELF, NOW
    )


def open_unit(factory: FakeUowFactory, writer: bool) -> FakeUnitOfWork | FakeReadOnlyUnitOfWork:
    return factory() if writer else factory.read_only()


@pytest.mark.parametrize("outer_writes", [True, False], ids=["in-writer", "in-reader"])
@pytest.mark.parametrize("inner_writes", [True, False], ids=["writer", "reader"])
def test_a_nested_unit_of_work_raises_naming_both_call_sites(
    outer_writes: bool, inner_writes: bool
) -> None:
    """Issue 13: opening a unit of work while another is open in the same thread fails at
    once, naming where each was opened; the outer one goes on and closes cleanly."""
    factory = FakeUowFactory()
    name = "test_a_nested_unit_of_work_raises_naming_both_call_sites"
    outer_line = line() + 1
    with open_unit(factory, outer_writes) as outer:
        inner_line = line() + 1
        with pytest.raises(NestedUnitOfWork) as err, open_unit(factory, inner_writes):
            pytest.fail("a unit of work opened inside another")
        assert outer.counter.resident("R1") is None  # the outer one is still open
    assert err.value.outer == f"{THIS}:{outer_line} in {name}"
    assert err.value.inner == f"{THIS}:{inner_line} in {name}"
    assert err.value.outer in str(err.value) and err.value.inner in str(err.value)
    assert not is_open()
    with factory() as again:  # the guard was let go
        again.counter.add_resident(resident())
        again.commit()


def test_a_service_called_inside_an_open_unit_of_work_is_refused() -> None:
    """Issue 13's defect, caught at once: a service that opens its own unit of work (here the
    site configuration) called while the caller's is open — the inner call site names the
    service, the outer one the caller."""
    factory = FakeUowFactory()
    site = SiteConfigService(factory, FakeClock(NOW))
    name = "test_a_service_called_inside_an_open_unit_of_work_is_refused"
    outer_line = line() + 1
    with factory(), pytest.raises(NestedUnitOfWork) as err:
        site.current()
    assert err.value.outer == f"{THIS}:{outer_line} in {name}"
    assert "services/siteconfig.py:" in err.value.inner
    assert err.value.inner.endswith(" in current")
    assert site.current().offices  # outside any unit of work it works


def test_changes_are_seen_only_once_committed() -> None:
    factory = FakeUowFactory()
    with factory() as uow:
        uow.counter.add_resident(resident())
        assert uow.counter.resident("R1") is not None  # its own change
    with factory.read_only() as reader:  # left without commit: rolled back
        assert reader.counter.resident("R1") is None

    with factory() as uow:
        uow.counter.add_resident(resident())
        uow.commit()
        uow.counter.add_resident(resident("R2"))
        uow.rollback()  # back to what was committed
        assert uow.counter.resident("R2") is None
        uow.counter.add_resident(resident("R3"))
    with factory.read_only() as reader:
        assert [r.id for r in reader.counter.find_residents(name="帯広")] == ["R1"]
    assert factory.store.commits == 1


def test_a_reader_sees_the_last_commit_and_never_waits_for_a_writer() -> None:
    """A read-only unit of work opened while another thread's writer holds the store reads
    the committed state at once (the SQLite WAL snapshot)."""
    factory = FakeUowFactory()
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with factory() as uow:
                uow.counter.add_resident(resident())
                inside.set()
                assert release.wait(10)
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            inside.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert inside.wait(10)
    with factory.read_only() as reader:  # the writer is open and holds the gate
        assert reader.counter.resident("R1") is None
    release.set()
    thread.join(10)
    assert errors == [] and not thread.is_alive()
    with factory.read_only() as reader:
        assert reader.counter.resident("R1") is not None


def test_a_read_only_unit_of_work_refuses_writes_and_locks() -> None:
    factory = FakeUowFactory()
    with factory.read_only() as reader:
        repo = reader.counter
        with pytest.raises(ReadOnlyViolation):
            repo.add_resident(resident())  # type: ignore[attr-defined]
        with pytest.raises(ReadOnlyViolation):
            repo.case("C1", for_update=True)  # type: ignore[call-arg]
    with factory.read_only() as reader:
        assert reader.counter.resident("R1") is None
    with pytest.raises(RuntimeError, match="closed"):  # nor after it closed
        repo.resident("R1")


def test_version_checks_and_unique_keys_as_the_sql_store() -> None:
    """ConcurrentUpdate when the row changed since it was read (optimistic lock); a second
    row with the same key is refused; naive datetimes are refused."""
    factory = FakeUowFactory()
    with factory() as uow:
        uow.counter.add_resident(resident())
        uow.counter.add_case(replace(case(), idempotency_key="K1"))
        uow.commit()
    with factory.read_only() as reader:
        stale = reader.counter.case("C1")
    assert stale is not None and stale.version == 1
    with factory() as uow:
        uow.counter.update_case(replace(stale, items={"1": ["card"]}))
        uow.commit()
    with factory() as uow, pytest.raises(ConcurrentUpdate):
        uow.counter.update_case(replace(stale, state=CaseState.CANCELLED))
    with factory.read_only() as reader:
        now = reader.counter.case("C1")
    assert now is not None and (now.version, now.items, now.state) == (
        2,
        {"1": ["card"]},
        CaseState.OPEN,
    )
    now.items["1"].append("tampered")  # a read hands out a copy, as a JSON column does
    with factory.read_only() as reader:
        assert reader.counter.case("C1") == replace(now, items={"1": ["card"]})

    with factory() as uow:
        with pytest.raises(DuplicateKey):
            uow.counter.add_case(replace(case("C2"), idempotency_key="K1"))
        with pytest.raises(DuplicateKey):
            uow.counter.add_resident(resident())
        with pytest.raises(ValueError, match="naive"):
            uow.counter.add_resident(replace(resident("R9"), changed_at=datetime(2026, 1, 1)))


def test_the_audit_log_is_a_hash_chain() -> None:
    factory = FakeUowFactory()
    for action in ("one", "two"):
        with factory() as uow:
            uow.counter.append_audit(
                at=NOW, clerk="c", office="main", terminal="T1", action=action, detail={"n": 1}
            )
            uow.commit()
    with factory() as uow:  # rolled back: its numbers are not used
        uow.counter.append_audit(at=NOW, clerk="c", office="main", terminal="T1", action="x")
    with factory() as uow:
        more = uow.counter.append_audits(
            [
                {"at": NOW, "clerk": "c", "office": "main", "terminal": "T1", "action": "three"},
                {"at": NOW, "clerk": "c", "office": "main", "terminal": "T1", "action": "four"},
            ]
        )
        uow.commit()
    with factory.read_only() as reader:
        entries = list(reader.counter.audit_entries())
        last = reader.checkpoints.last_entry()
    assert [(e.seq, e.action) for e in entries] == [
        (1, "one"),
        (2, "two"),
        (3, "three"),
        (4, "four"),
    ]
    assert verify_chain(entries).ok
    assert entries[2].prev_hash == entries[1].hash and entries[2:] == more
    assert last == (4, entries[3].hash)


def test_the_fake_is_a_uow_factory() -> None:
    """The ports' factory type holds it (mypy checks the same in tests/support/fakes.py)."""
    factory: UowFactory = FakeUowFactory()
    with factory() as uow:
        uow.staff.put_setting("k", {"a": [1]}, NOW, "admin")
        uow.commit()
    with factory.read_only() as reader:
        assert reader.staff.setting("k") == {"a": [1]}
