"""FastAPI application factory; nothing is created at import time (DESIGN.md 7).

One process serves the staff pages (/staff), the public pages (/), the JSON API (/api/v1)
and the PKI endpoints (/ocsp, /crl, /ca).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from madoguchi.bootstrap import Container
from madoguchi.web import (
    api,
    errors,
    guard,
    i18n,
    ops,
    pki_routes,
    public,
    public_check,
    public_renewal,
    staff_admin,
    staff_auth,
    staff_case,
    staff_counter,
    staff_documents,
    staff_notices,
    staff_supervisor,
    verify_page,
)
from madoguchi.web.security import CSRF_COOKIE, SECURITY_HEADERS, ensure_csrf_cookie
from madoguchi.web.templating import make_templates

STATIC = Path(__file__).parent / "static"
PKI_PREFIXES = ("/ocsp", "/crl/", "/ca/", "/healthz", "/readyz", "/metrics")


def create_app(container: Container) -> FastAPI:
    """The application of a started container (:meth:`Container.start`: the migrations and
    the CAs were loaded when the process started, never during a request)."""
    app = FastAPI(
        title="madoguchi",
        version="1",
        description="窓口 — JPKI counter and certificate authority. The counter API is under "
        "/api/v1 and needs a staff token (Authorization: Bearer …).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    app.state.templates = make_templates()
    app.state.templates.env.globals["city"] = container.settings.ca_locality_city
    secure = container.settings.secure_cookies

    @app.middleware("http")
    async def page_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path.startswith(PKI_PREFIXES):
            return await call_next(request)
        query_lang = request.query_params.get("lang")
        locale = i18n.pick_locale(query_lang, request.cookies.get("lang"))
        i18n.current_locale.set(locale)
        if not path.startswith("/api/"):
            ensure_csrf_cookie(request)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if path.startswith(("/staff", "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
        if query_lang in i18n.LOCALES:
            response.set_cookie(
                "lang", locale, max_age=365 * 86400, samesite="strict", secure=secure
            )
        token = getattr(request.state, "new_csrf_cookie", None)
        if token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure)
        return response

    errors.install(app)
    # outermost: OCSP answers skip the page middleware and the router altogether
    if not container.remote_ca:  # a counter of a CA service leaves these to the service
        app.add_middleware(pki_routes.OcspEndpoint, responder=container.ocsp)
    # body limits, authentication before the body, server errors as pages (web/guard.py)
    app.add_middleware(guard.RequestGuard)
    ops.install(app)  # /healthz, /readyz, /metrics; request ids and metrics (outermost)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if not container.remote_ca:
        app.include_router(pki_routes.router())
    app.include_router(api.router())
    app.include_router(staff_auth.router())
    app.include_router(staff_counter.router())
    app.include_router(staff_case.router())
    app.include_router(staff_documents.router())
    app.include_router(staff_notices.router())
    app.include_router(staff_supervisor.router())
    app.include_router(staff_admin.router())
    app.include_router(public.router())
    app.include_router(public_check.router())
    app.include_router(public_renewal.router())
    app.include_router(verify_page.router())

    return app
