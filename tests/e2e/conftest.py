"""The browser walks' shared fixtures: a demo system served by a real `madoguchi serve`, and
Debian's Chromium (a module gets its own of each; a module may define its own instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.support.browser import chromium
from tests.support.processes import madoguchi, serving


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("browser") / "data"
    madoguchi("demo-data", "--data-dir", str(data))
    with serving(data) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    yield page
    context.close()
