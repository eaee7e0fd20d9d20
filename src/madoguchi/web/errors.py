"""Errors to HTTP, in one place (DESIGN.md 6): a status, an English ``detail`` code for the
API and logs, a Japanese message for people; never a traceback."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from madoguchi.card.errors import CardError
from madoguchi.messages import japanese
from madoguchi.pki.errors import (
    BadSignature,
    CaExists,
    KeyStoreError,
    NoCa,
    PkiError,
    UnknownCertificate,
)
from madoguchi.rules.errors import InvalidTransition, RuleError, RuleInputError
from madoguchi.services.domain import (
    CaUnavailable,
    ConcurrentUpdate,
    NotFound,
    Refused,
    ServiceError,
)
from madoguchi.web import i18n
from madoguchi.web.security import CsrfFailed, Forbidden, LoginRequired
from madoguchi.web.templating import render

log = logging.getLogger("madoguchi.web")

LayerError = RuleError | PkiError | CardError | ServiceError


#: The HTTP status of each layer's errors, the most specific class first — the one place.
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (UnknownCertificate, 404),
    (NoCa, 503),
    (CaUnavailable, 503),
    (KeyStoreError, 503),
    (BadSignature, 500),
    (CaExists, 409),
    (ConcurrentUpdate, 409),
    (InvalidTransition, 409),
    (Refused, 409),
    (RuleInputError, 422),
    (PkiError, 422),  # bad input: a malformed request, key, certificate or value
    (RuleError, 409),
    (CardError, 409),
    (ServiceError, 409),
)


def status_of(exc: Exception) -> int:
    for cls, status in STATUSES:
        if isinstance(exc, cls):
            return status
    return 500


def code_of(exc: Exception) -> str:
    return getattr(exc, "code", "internal_error")


def message_of(exc: Exception) -> str:
    """The Japanese (or, on English pages, translated) message of a layer's error; an error
    with ``params`` (R-X509-2's character) has them filled in after translation."""
    text = i18n.gettext(japanese(code_of(exc), getattr(exc, "detail", "")))
    params = getattr(exc, "params", None)
    if isinstance(params, dict):
        try:
            return text.format_map(params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": code, "message": message, **extra}, status_code=status)


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    if is_api(request):
        return api_error(status, code, message)
    return render(
        request, "error.html", {"code": code, "message": message, "status": status}, status
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return api_error(401, "unauthenticated", japanese("unauthenticated", "login"))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return error_page(request, 403, "forbidden", i18n.gettext(japanese("forbidden", "")))

    @app.exception_handler(CsrfFailed)
    async def csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_page(request, 403, "csrf_failed", i18n.gettext(japanese("csrf_failed", "")))

    async def layer_error(request: Request, exc: Exception) -> Response:
        log.info("refused %s: %s", code_of(exc), exc)
        field = getattr(exc, "field", "")
        if field and is_api(request):  # the input the error concerns (issue 15)
            return api_error(status_of(exc), code_of(exc), message_of(exc), field=field)
        return error_page(request, status_of(exc), code_of(exc), message_of(exc))

    for cls in (RuleError, PkiError, CardError, ServiceError):
        app.add_exception_handler(cls, layer_error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        message = i18n.gettext(japanese("invalid_request", ""))
        if is_api(request):
            errors = [
                {"loc": list(e.get("loc", ())), "type": e.get("type", "")} for e in exc.errors()
            ]
            return api_error(422, "invalid_request", message, errors=errors)
        return error_page(request, 422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = (
            exc.detail
            if isinstance(exc.detail, str) and exc.detail.isidentifier()
            else {
                404: "not_found",
                405: "method_not_allowed",
            }.get(exc.status_code, "http_error")
        )
        response = error_page(
            request, exc.status_code, code, i18n.gettext(japanese(code, str(exc.detail)))
        )
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(SQLAlchemyError)
    async def database(request: Request, exc: SQLAlchemyError) -> Response:
        log.exception("database error")
        return error_page(
            request,
            503,
            "database_unavailable",
            i18n.gettext(japanese("database_unavailable", "")),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_page(
            request, 500, "internal_error", i18n.gettext(japanese("internal_error", ""))
        )
