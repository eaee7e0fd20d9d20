"""Staff login and logout."""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from madoguchi.services.domain import Refused
from madoguchi.services.staff import Throttled
from madoguchi.web.security import SESSION_COOKIE, checked_form, resolve_staff
from madoguchi.web.templating import render


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no //host): no open redirect."""
    if target and target.startswith("/staff") and not target.startswith("//"):
        return target
    return "/staff/"


def router() -> APIRouter:
    r = APIRouter(prefix="/staff", include_in_schema=False)

    @r.get("/login")
    def login_form(request: Request, next: str | None = None) -> Response:
        if resolve_staff(request) is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        terminal = unquote(request.cookies.get("mdg_terminal", ""))[:64] or "窓口1"
        return render(request, "staff/login.html", {"next": _safe_next(next), "terminal": terminal})

    @r.post("/login")
    async def login(request: Request) -> Response:
        form = await checked_form(request)
        login_name = str(form.get("login", ""))[:64]
        terminal = str(form.get("terminal", "") or "窓口1")[:64]
        target = _safe_next(str(form.get("next", "")))
        container = request.app.state.container
        client = request.client.host if request.client else "-"
        try:
            result = await run_in_threadpool(  # argon2 takes a while: not on the event loop
                container.staff.login,
                login_name,
                str(form.get("password", "")),
                terminal=terminal,
                client=client,
            )
        except Refused as exc:
            throttled = isinstance(exc, Throttled)
            response = render(
                request,
                "staff/login.html",
                {"next": target, "terminal": terminal, "login": login_name, "error": exc.code},
                status_code=429 if throttled else 401,
            )
            if isinstance(exc, Throttled):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        response = RedirectResponse(target, status_code=303)
        secure = container.settings.secure_cookies
        # a browser-session cookie (no Max-Age, no Expires): closing the counter terminal's
        # browser ends it; the idle and maximum lifetimes are the server's (services/staff.py)
        response.set_cookie(
            SESSION_COOKIE, result.token, httponly=True, samesite="strict", secure=secure, path="/"
        )
        response.set_cookie(
            "mdg_terminal",
            quote(terminal),
            httponly=True,
            samesite="strict",
            secure=secure,
            max_age=365 * 86400,
            path="/staff",
        )
        return response

    @r.post("/logout")
    async def logout(request: Request) -> Response:
        await checked_form(request)
        token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            request.app.state.container.staff.logout(token)
        response = RedirectResponse("/staff/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return r
