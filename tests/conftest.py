"""Shared fixtures: the database backends every store-backed test runs on."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import create_database, postgres_server

# The suite starts hundreds of Python processes (the CLI, servers, workers). Without bytecode
# caches each one compiles every module it imports again — about a second each on this
# machine — so caches are written and used even where the environment says otherwise
# (PYTHONDONTWRITEBYTECODE): the processes run as an installed madoguchi would.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: SQLite in tmp_path, or a new database on the real server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server: str = request.getfixturevalue("postgres")
    return create_database(server, f"t{next(_names)}")
