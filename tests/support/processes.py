"""Helpers to run the real `madoguchi` console script and the HTTP service in tests."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
SERVE_HANG_GUARD = 300  # seconds; a loaded machine starts the server in well under this


def madoguchi(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    assert MADOGUCHI.exists(), "make installs the madoguchi console script into .venv"
    proc = subprocess.run(
        [str(MADOGUCHI), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=600,  # a hang guard, not a speed requirement
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"madoguchi {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
        )
    return proc


def madoguchi_json(*args: str, **kwargs: Any) -> dict[str, Any]:
    proc = madoguchi(*args, "--json", **kwargs)
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    return data


class OutputLines:
    """The lines a child prints on stdout, read by a thread as they come: a test waits for a
    line — a readiness signal — instead of guessing how long the child takes to get there.
    ``hang_guard`` only stops a test whose child hangs; it is never a speed requirement."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None, "start the process with stdout=subprocess.PIPE"
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(self.lines[-1])
        self._queue.put(None)

    def wait_for(self, prefix: str, hang_guard: float) -> str:
        """The next line starting with ``prefix`` (``""``: the next line)."""
        deadline = time.monotonic() + hang_guard
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line {prefix!r} within {hang_guard} s") from None
            if line is None:
                raise AssertionError(f"the process ended before printing {prefix!r}")
            if line.startswith(prefix):
                return line

    def finish(self, hang_guard: float) -> list[str]:
        """Every line the process printed, once its stdout is closed."""
        self._thread.join(hang_guard)
        assert not self._thread.is_alive(), "stdout still open"
        return self.lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    data_dir: Path,
    *,
    port: int | None = None,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`madoguchi serve` in a real process on a loopback port; yields the base URL."""
    port = port or free_port()
    args = ["--workers", str(workers)] if workers != 1 else []
    proc = subprocess.Popen(
        [str(MADOGUCHI), "serve", "--data-dir", str(data_dir), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_HANG_GUARD
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within {SERVE_HANG_GUARD} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
