"""The sandbox's readers: what is missing is said (never skipped), and slots and ports are
numbered two per reader, in the order OpenSC and pcsc-lite will show them."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.relying import sandbox
from tests.support import sandbox as support


def test_missing_parts_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "VPCD_DRIVER", Path("/nonexistent/libifdvpcd.so"))
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.missing_parts() == [
        "pcscd", "unshare", "nsenter", "ip", "/nonexistent/libifdvpcd.so"
    ]  # fmt: skip
    with pytest.raises(RuntimeError, match="apt-get install pcscd vsmartcard-vpcd"):
        sandbox.VirtualReaders(Path("/nonexistent"), ["r"])
    with pytest.raises(pytest.fail.Exception, match="missing for the sandbox"):
        support.require_parts()


def test_slots_fill_two_per_reader() -> None:
    readers = object.__new__(sandbox.VirtualReaders)
    readers.names = ["reader 1", "reader 2"]
    assert [readers.slot_name(i) for i in range(3)] == [
        "reader 1 00 00",
        "reader 1 00 01",
        "reader 2 00 00",
    ]
