"""A real, throwaway PostgreSQL server on a loopback port (Debian's postgresql package).

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user
(SETUP-NOTES.md). Tests never mock the database.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.processes import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql package "
            "(or run: apt-get install postgresql)"
        )
    return found[-1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """A throwaway PostgreSQL cluster in its own directory under /tmp (pytest's tmp dirs sit
    below a root-only directory the `postgres` user cannot enter); it can be stopped and
    started again on the same port (the database-unavailable test)."""

    def __init__(self) -> None:
        base = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        self.data = base / "pgdata"
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run(
            _as_owner(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "madoguchi",
                    "-E",
                    "UTF8",
                    "--locale",
                    "C",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.port = free_port()
        self.url = f"postgresql+psycopg://madoguchi@127.0.0.1:{self.port}"

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        subprocess.run(
            _as_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    opts,
                    "-l",
                    str(self.data / "log.txt"),
                    "-w",
                    "-t",
                    "300",  # pg_ctl's own wait (default 60 s): a hang guard on a loaded machine
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 180  # a hang guard: a loaded machine is slower
        while True:
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=madoguchi dbname=postgres"
                ):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway cluster; yield a SQLAlchemy URL prefix without the database name."""
    with postgres_cluster() as cluster:
        yield cluster.url


def create_database(server_url: str, name: str) -> str:
    host_port = server_url.split("@", 1)[1]
    host, port = host_port.split(":")
    with psycopg.connect(
        f"host={host} port={port} user=madoguchi dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
