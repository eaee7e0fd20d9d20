"""What operators and their tools ask an application: ``/healthz`` (the process answers),
``/readyz`` (it can do its work: services/operations.py) and ``/metrics`` (Prometheus); and,
around every request, its id and its measurement.

One line puts all of it into an application whose ``app.state.container`` has ``operations``
(and, for tokens on /metrics, ``staff``), as the counter's does — and as the CA service's will
(issue 14):

    ops.install(app)

Call it after the application's other middleware (it must be the outermost, so that OCSP
answers, served before routing, are counted too).

``/metrics`` answers a client on the loopback interface that came directly (no
X-Forwarded-For, Forwarded or X-Real-IP header: a request through a reverse proxy on the
same host is not "local"), or one with a valid staff API token (``Authorization: Bearer``,
``madoguchi staff token``); anyone else gets 401. ``/readyz`` and ``/healthz`` are open: they
say nothing but ok or not and why in a few English words.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from madoguchi.observability import metrics
from madoguchi.observability.logs import REQUEST_ID, request_id_from
from madoguchi.web.ops_metrics import StoreCollector

access = logging.getLogger("madoguchi.access")
READY_TIMEOUT = 10.0  # seconds: a check that hangs (a store that does not answer) is a "no"
PROXY_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
QUIET = ("/healthz", "/readyz", "/metrics")  # polled every few seconds: no access log line


def route_of(scope: Scope) -> str:
    """The route template that answered (``/api/v1/cases/{case_id}``), never the raw path:
    the label stays bounded and holds no identifier."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    raw = scope.get("path", "")
    if raw == "/ocsp":
        return "/ocsp"
    if raw.startswith("/ocsp/"):
        return "/ocsp/{request}"
    return "<unmatched>"


class RequestContext:
    """The outermost middleware: a request id (the client's sane X-Request-ID, else a new
    one) in the context of the request and in the ``X-Request-ID`` response header; the
    request counted and timed by route template and status; one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = request_id_from(given)
        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method, route = scope["method"], route_of(scope)
            metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            metrics.HTTP_DURATION.labels(method, route).observe(elapsed)
            if status >= 500 or not (route.startswith("/ocsp") or route in QUIET):
                access.info(
                    "%s %s %d %.1f ms",
                    method,
                    route,
                    status,
                    elapsed * 1000,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            REQUEST_ID.reset(token)


def _loopback_direct(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    raw = {name for name, _ in request.scope.get("headers", ())}
    return loopback and not any(h in raw for h in PROXY_HEADERS)


def _token_ok(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    staff = getattr(request.app.state.container, "staff", None)
    if scheme.lower() != "bearer" or not token or len(token) > 200 or staff is None:
        return False
    return staff.token_account(token.strip()) is not None


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    pending: dict[str, asyncio.Future[Any]] = {}

    @r.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @r.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        operations = request.app.state.container.operations
        # one check at a time per process: a hanging store never piles up threads
        future = pending.get("ready")
        if future is None or future.done():
            future = asyncio.ensure_future(run_in_threadpool(operations.readiness))
            pending["ready"] = future
        try:
            checks = await asyncio.wait_for(asyncio.shield(future), READY_TIMEOUT)
            body = {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}
        except TimeoutError:
            body = {"store": {"ok": False, "detail": f"no answer within {READY_TIMEOUT:.0f} s"}}
        ready = all(c["ok"] for c in body.values())
        return JSONResponse(
            {"ready": ready, "checks": body},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    @r.get("/metrics")
    async def metrics_endpoint(request: Request) -> Response:
        if not _loopback_direct(request) and not await run_in_threadpool(_token_ok, request):
            return JSONResponse(
                {"detail": "unauthenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        c = request.app.state.container
        collector = StoreCollector(c.operations, c.settings.published)
        body = await run_in_threadpool(metrics.exposition, [collector])
        return Response(
            body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"}
        )

    return r


def install(app: FastAPI) -> None:
    """/healthz, /readyz, /metrics and the request middleware, in one call."""
    app.include_router(router())
    app.add_middleware(RequestContext)
