from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from tests.support.web import Browser, browser, demo_container


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """One demo system per test module (building it issues a dozen certificates)."""
    return demo_container(tmp_path_factory.mktemp("web") / "data")


@pytest.fixture
def fresh(tmp_path: Path) -> Container:
    """A demo system of the test's own, for tests that change what others read."""
    return demo_container(tmp_path / "data")


@pytest.fixture
def web(demo: Container) -> Browser:
    return browser(demo)
