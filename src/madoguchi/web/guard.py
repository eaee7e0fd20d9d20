"""The request guard (issue 14, items 2 and 7): a plain ASGI middleware in front of the pages
and the API that

- limits the body of every request: a ``Content-Length`` above the route's limit is answered
  413 before anything is read, and a streamed (chunked) body is counted as it is received —
  the read that crosses the limit is answered 413 at once, and the application is told the
  client left (it stops reading; what it answers then is dropped) (:data:`LIMITS`);
- refuses a request with a body to ``/api/`` without a valid bearer token (401) and to a
  staff page without a valid session (303 to the login form, as before) *before* its body
  is read: an anonymous client cannot make the server receive or parse anything large;
- answers an unexpected error with the 500 page (JSON for the API) carrying the security
  headers, and never lets it reach the server, which would close the keep-alive connection.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from madoguchi.messages import japanese
from madoguchi.web import i18n
from madoguchi.web.api_auth import authenticate
from madoguchi.web.errors import api_error, error_page
from madoguchi.web.public_check import MAX_CHECK_BODY
from madoguchi.web.security import SECURITY_HEADERS, resolve_staff
from madoguchi.web.verify_page import MAX_VERIFY_BODY

log = logging.getLogger("madoguchi.web")

#: the body limit of every other route: forms and API requests are a few kilobytes
MAX_BODY = 256 * 1024
#: routes with uploads: they refuse a declared length above their limit themselves (with their
#: own page); the guard counts what they read, a little above their limit
LIMITS: dict[str, int] = {
    "/verify": MAX_VERIFY_BODY + 64 * 1024,
    "/check": MAX_CHECK_BODY + 64 * 1024,
}
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
#: staff routes that take a body without a session
STAFF_OPEN = frozenset({"/staff/login"})


def body_limit(path: str) -> int:
    return LIMITS.get(path, MAX_BODY)


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = body_limit(path)
        length = _content_length(scope)
        declared_ok = length is None or (length.isdigit() and int(length) <= limit)
        if not declared_ok and path not in LIMITS:
            await self._respond(scope, receive, send, _too_large(Request(scope)))
            return
        if scope["method"] not in BODYLESS:
            try:
                refusal = await _unauthenticated(Request(scope))
            except SQLAlchemyError:  # the store is down: as the routes say it
                log.exception("database error")
                refusal = _failure(Request(scope), 503, "database_unavailable")
            if refusal is not None:
                await self._respond(scope, receive, send, refusal)
                return

        received = 0
        started = answered = False

        async def counted() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # answer now and tell the application the client left: it stops reading,
                    # and whatever it answers then is dropped
                    if not started:
                        await self._respond(scope, receive, send, _too_large(Request(scope)))
                    answered = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if answered:  # the application gave up reading the body it was refused
                return
            log.exception("unexpected error")
            if started:  # the answer is half sent: only closing tells the client
                raise
            failure = _failure(Request(scope), 500, "internal_error")
            await self._respond(scope, receive, send, failure)

    async def _respond(self, scope: Scope, receive: Receive, send: Send, r: Response) -> None:
        for name, value in SECURITY_HEADERS.items():
            r.headers.setdefault(name, value)
        if scope.get("path", "").startswith(("/staff", "/api/")):
            r.headers.setdefault("Cache-Control", "no-store")
        await r(scope, receive, send)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return str(value.decode("latin-1").strip())
    return None


def _failure(request: Request, status: int, code: str) -> Response:
    return error_page(request, status, code, i18n.gettext(japanese(code, "")))


def _too_large(request: Request) -> Response:
    i18n.current_locale.set(
        i18n.pick_locale(request.query_params.get("lang"), request.cookies.get("lang"))
    )
    message = i18n.gettext(japanese("request_too_large", ""))
    return error_page(request, 413, "request_too_large", message)


async def _unauthenticated(request: Request) -> Response | None:
    """The refusal of a request with a body that needs a login it does not have."""
    path = request.url.path
    if path.startswith("/api/"):
        if await run_in_threadpool(authenticate, request) is None:
            message = japanese("unauthenticated", "login")
            response = api_error(401, "unauthenticated", message)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None
    if (
        path.startswith("/staff/")
        and path not in STAFF_OPEN
        and await run_in_threadpool(resolve_staff, request) is None
    ):
        return RedirectResponse(f"/staff/login?next={quote(path)}", status_code=303)
    return None
