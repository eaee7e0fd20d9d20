"""One CA per test module (RSA keys are the slow part); a fresh in-memory store per test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from madoguchi.pki.authority import Authority
from madoguchi.rules.validity import CertKind
from tests.unit.services.world import World, build_world, make_authorities

#: when the module's CA is made, unless the module sets CA_BORN; ``NOW`` likewise
DEFAULT_NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tue 10:00 JST


@pytest.fixture(scope="module")
def authorities(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[CertKind, Authority]:
    born: datetime = getattr(request.module, "CA_BORN", DEFAULT_NOW)
    return make_authorities(tmp_path_factory.mktemp("ca-keys"), born)


@pytest.fixture
def w(
    request: pytest.FixtureRequest, authorities: dict[CertKind, Authority], tmp_path: Path
) -> World:
    now: datetime = getattr(request.module, "NOW", DEFAULT_NOW)
    return build_world(authorities, tmp_path, now)
