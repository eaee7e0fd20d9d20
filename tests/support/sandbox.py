"""`madoguchi sandbox` for the tests: started with ``--json``, ready when its one JSON line
says so (no fixed sleep), stopped with SIGTERM like Ctrl+C. Never skips: without pcscd,
vsmartcard-vpcd, OpenSC or pyhanko-cli the calling test fails and says how to install them."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from madoguchi.relying.sandbox import missing_parts
from tests.support.pcsc import INSTALL, OPENSC_PKCS11
from tests.support.processes import MADOGUCHI, free_port

PYHANKO = MADOGUCHI.with_name("pyhanko")
READY_TIMEOUT = 300.0  # three cards and a server on a busy two-core machine


def require_parts() -> None:
    missing = missing_parts() + [str(p) for p in (OPENSC_PKCS11, PYHANKO) if not p.exists()]
    if missing:
        pytest.fail(f"missing for the sandbox: {', '.join(missing)}; {INSTALL}", pytrace=False)


@contextmanager
def running_sandbox(data_dir: Path) -> Iterator[dict[str, Any]]:
    """The sandbox's ready line (plus ``data_dir``), while it runs."""
    require_parts()
    command = [str(MADOGUCHI), "sandbox", "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        [*command, "--port", str(free_port()), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready: dict[str, Any] = {}
    seen = threading.Event()

    def read() -> None:
        for line in proc.stdout or []:
            if '"ready"' in line:
                ready.update(json.loads(line))
                seen.set()
        seen.set()  # the sandbox ended before it was ready

    threading.Thread(target=read, daemon=True).start()
    try:
        if not seen.wait(READY_TIMEOUT) or not ready:
            proc.kill()
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"the sandbox did not start: {err}")
        ready["data_dir"] = data_dir
        yield ready
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
