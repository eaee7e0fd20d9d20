"""Issue 14, items 2 and 7: bodies are limited on every route and not read before
authentication; extreme dates in query strings are a clear 400; a 500 page carries the
security headers and the error never reaches the server (which would drop the connection).

The application is called as ASGI directly: the test's receive() hands the body out in
chunks and counts what the application took (TestClient reads the whole body first).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import OperationalError

from madoguchi.bootstrap import Container
from madoguchi.services.audit import Actor
from madoguchi.web.app import create_app
from madoguchi.web.guard import MAX_BODY
from tests.support.web import Browser

ADMIN = Actor("admin", "main", "t")
CHUNK = 64 * 1024
HUGE = 100 * 1024 * 1024


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    taken: int = 0  # body bytes the application received

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: FastAPI,
    method: str,
    path: str,
    *,
    size: int = 0,
    headers: dict[str, str] | None = None,
    query: str = "",
    with_length: bool = False,
) -> Answer:
    """One request with a body of ``size`` bytes sent in chunks (chunked transfer unless
    ``with_length``)."""
    answer = Answer()
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if with_length:
        raw.append((b"content-length", str(size).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    chunks: Iterator[int] = iter(range(0, size, CHUNK))

    async def receive() -> dict[str, Any]:
        start = next(chunks, None)
        if start is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        n = min(CHUNK, size - start)
        answer.taken += n
        return {"type": "http.request", "body": b"a" * n, "more_body": start + n < size}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    asyncio.run(app(scope, receive, send))  # an exception here would drop the connection
    return answer


@pytest.fixture(scope="module")
def app(demo: Container) -> FastAPI:
    return create_app(demo)


@pytest.fixture(scope="module")
def token(demo: Container) -> str:
    return demo.staff.create_api_token("clerk", "guard", ADMIN)


# --- item 2: authentication before the body; a limit on every route -----------------------


def test_api_without_token_is_refused_before_the_body(app: FastAPI) -> None:
    # streamed (no Content-Length, which would be refused as too large before anything)
    a = call(app, "POST", "/api/v1/cases", size=HUGE, headers={"content-type": "application/json"})
    assert a.status == 401, a.body[:200]
    assert a.json["detail"] == "unauthenticated"
    assert a.headers["www-authenticate"] == "Bearer"
    assert a.taken == 0


def test_api_with_a_wrong_token_is_refused_before_the_body(app: FastAPI) -> None:
    a = call(
        app,
        "POST",
        "/api/v1/cases",
        size=HUGE,
        headers={"authorization": "Bearer mdg_not-a-token", "content-type": "application/json"},
    )
    assert (a.status, a.taken) == (401, 0)


def _staff_posts(app: FastAPI) -> list[str]:
    """Every staff route that takes a POST, from the application's route table (a path
    parameter filled with a plausible value)."""
    paths = []
    for route in iter_route_contexts(app.routes):  # type: ignore[arg-type]
        if route.path.startswith("/staff/") and "POST" in (route.methods or ()):
            paths.append(re.sub(r"\{[^}]+\}", "x1", route.path))
    assert len(paths) > 10
    return paths


def test_staff_posts_without_session_are_refused_before_the_body(app: FastAPI) -> None:
    for path in _staff_posts(app):
        if path == "/staff/login":
            continue
        a = call(
            app,
            "POST",
            path,
            size=HUGE,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert a.status == 303 and a.headers["location"].startswith("/staff/login"), path
        assert a.taken == 0, path


def test_a_declared_length_above_the_limit_is_refused_unread(app: FastAPI, token: str) -> None:
    a = call(
        app,
        "POST",
        "/api/v1/cases",
        size=HUGE,
        with_length=True,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert a.status == 413 and a.taken == 0
    assert a.json["detail"] == "request_too_large"
    assert "大きすぎます" in a.json["message"]


def test_a_streamed_body_is_cut_at_the_limit(app: FastAPI, token: str) -> None:
    a = call(
        app,
        "POST",
        "/api/v1/cases",
        size=HUGE,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert a.status == 413, a.body[:300]
    assert a.json["detail"] == "request_too_large"
    assert a.taken <= MAX_BODY + CHUNK


@pytest.mark.parametrize("path", ["/staff/login", "/card-renewal/x.y"])
def test_public_forms_are_limited_with_a_page_for_people(app: FastAPI, path: str) -> None:
    for with_length in (False, True):
        a = call(
            app,
            "POST",
            path,
            size=HUGE,
            headers={"content-type": "application/x-www-form-urlencoded"},
            with_length=with_length,
        )
        assert a.status == 413, a.body[:300]
        assert a.taken <= MAX_BODY + CHUNK
        assert a.headers["content-type"].startswith("text/html")
        assert "送られたデータが大きすぎます" in a.body.decode()
        assert "frame-ancestors 'none'" in a.headers["content-security-policy"]


def test_a_small_form_still_goes_through(web: Browser) -> None:
    r = web.login("clerk")
    assert r.status_code == 303


# --- item 7: extreme dates; server errors ------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2026-13-01", "x"])
def test_extreme_days_are_a_clear_400(demo: Container, day: str) -> None:
    from tests.support.web import browser

    b = browser(demo)
    assert b.login("supervisor").status_code == 303
    r = b.get(f"/staff/supervisor?day={day}")
    assert r.status_code == 400, r.text[:300]
    assert "日付は" in r.text
    assert "Traceback" not in r.text
    assert b.get("/staff/supervisor?day=2026-11-24").status_code == 200


def test_a_server_error_is_a_page_with_the_security_headers(
    demo: Container, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(demo)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(demo.site), "current", broken)
    a = call(app, "GET", "/offices")  # returns: the error did not reach the server
    assert a.status == 500
    assert "予期しないエラー" in a.body.decode()
    assert "RuntimeError" not in a.body.decode()
    assert "frame-ancestors 'none'" in a.headers["content-security-policy"]
    assert a.headers["x-content-type-options"] == "nosniff"
    api = call(app, "GET", "/api/v1/offices", headers={"authorization": f"Bearer {token}"})
    assert api.status == 500 and api.json["detail"] == "internal_error"
    assert api.headers["x-content-type-options"] == "nosniff"


def test_the_store_down_during_the_check_is_a_503(
    demo: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(demo)

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(type(demo.staff), "token_account", down)
    monkeypatch.setattr(type(demo.staff), "session", down)
    a = call(app, "POST", "/api/v1/cases", size=10, headers={"authorization": "Bearer x"})
    assert a.status == 503 and a.json["detail"] == "database_unavailable"
    page = call(app, "POST", "/staff/logout", size=10, headers={"cookie": "mdg_session=x"})
    assert page.status == 503 and "データベースに接続できません" in page.body.decode()
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
