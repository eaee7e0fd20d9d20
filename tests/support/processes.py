"""Helpers to run the real `madoguchi` console script and the HTTP service in tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

MADOGUCHI = Path(sys.executable).with_name("madoguchi")


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
        timeout=120,
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
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
