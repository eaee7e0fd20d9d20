"""A running web application for tests: a Container on a fresh data directory with the demo
CA, demo residents and the demo staff logins, served in-process by Starlette's TestClient."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.dates import jst_date
from madoguchi.services.demo import DEMO_STAFF, MovableClock, create_demo_staff, load_demo_data
from madoguchi.web.app import create_app

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 JST
PASSWORDS = {d.login: d.password for d in DEMO_STAFF}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _settings(data_dir: Path, db_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=db_url,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,  # cheap hashes: the tests log in hundreds of times
    )


_TEMPLATES: dict[datetime, Path] = {}


def _template(now: datetime) -> Path:
    """A demo data directory (SQLite) built once per test session and ``now``."""
    if now not in _TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="madoguchi-demo-template-"))
        atexit.register(shutil.rmtree, root, True)
        built = _build(root / "data", None, now)
        built.engine.dispose()  # the last connection closes: the WAL is checkpointed
        _TEMPLATES[now] = root / "data"
    return _TEMPLATES[now]


def demo_container(data_dir: Path, db_url: str | None = None, now: datetime = NOW) -> Container:
    """The demo system: CA, demo residents (as of ``now``) and the demo staff.

    On SQLite the data directory is a copy of one built once per session (building it signs
    a dozen certificates and makes a dozen cards: seconds, which every test paid before);
    each test still gets a data directory, store and clock of its own."""
    if db_url is None:
        shutil.copytree(_template(now), data_dir, dirs_exist_ok=True)
        return Container(_settings(data_dir, None), MovableClock(now)).start()
    return _build(data_dir, db_url, now)


def _build(data_dir: Path, db_url: str | None, now: datetime) -> Container:
    settings = _settings(data_dir, db_url)
    clock = MovableClock(now)
    c = Container(settings, clock)
    c.init_ca()
    load_demo_data(c.registry, c.counter, clock, c.card_side.new_card, jst_date(now))
    clock.now = now
    create_demo_staff(c.staff)
    return c


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "the page has no CSRF token"
    return m.group(1)


@dataclass
class Browser:
    """A TestClient with the helpers a form-filling test needs."""

    client: TestClient

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)  # type: ignore[arg-type]

    def post_form(self, page: str, action: str, data: dict[str, object], **kw: object):  # type: ignore[no-untyped-def]
        token = csrf_of(self.client.get(page).text)
        return self.client.post(action, data={"csrf_token": token, **data}, **kw)  # type: ignore[arg-type]

    def login(self, who: str, password: str | None = None):  # type: ignore[no-untyped-def]
        return self.post_form(
            "/staff/login",
            "/staff/login",
            {"login": who, "password": password or PASSWORDS[who], "terminal": "T-test"},
            follow_redirects=False,
        )


def browser(c: Container) -> Browser:
    return Browser(TestClient(create_app(c), base_url="http://testserver"))


def assert_pin_absent(pin: str, text: str) -> None:
    """The PIN appears nowhere in ``text`` as a value of its own.

    Case ids, serials, hashes and CSRF tokens may hold the same four digits by
    chance (a flaky find in CI): a digit run inside a longer word is not the PIN.
    """
    found = re.search(rf"(?<![0-9A-Za-z_\-]){re.escape(pin)}(?![0-9A-Za-z_\-])", text)
    assert found is None, text[max(0, found.start() - 80) : found.end() + 80]
