"""Who is asking: staff sessions (cookie), API tokens (bearer), CSRF, and security headers.

Staff pages need a session; the role decides what else (clerk < supervisor < admin). Every
POST form carries a CSRF token: the session's own for logged-in staff, a double-submit
cookie for the public and login forms. Cookies are HttpOnly and SameSite=Strict, and Secure
when the public URL is https.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.offices import Office, OfficeStatus, office_by_code, office_status
from madoguchi.services.audit import Actor
from madoguchi.services.domain import StaffAccount, StaffRole, StaffSession

SESSION_COOKIE = "mdg_session"
CSRF_COOKIE = "mdg_csrf"
MAX_FORM_BYTES = 1024 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class LoginRequired(Exception):
    """No valid staff session: the page redirects to the login form."""


class Forbidden(Exception):
    """Logged in, but the role does not allow it."""

    def __init__(self, needed: StaffRole) -> None:
        super().__init__(needed.value)
        self.needed = needed


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class StaffContext:
    """The logged-in staff member as the pages and the API see them."""

    account: StaffAccount
    session: StaffSession | None  # None for API tokens
    office: Office
    status: OfficeStatus

    @property
    def actor(self) -> Actor:
        terminal = self.session.terminal if self.session else "api"
        return Actor(self.account.id, self.account.office, terminal)

    def may(self, role: StaffRole) -> bool:
        return self.account.may(role)


def staff_context(
    container: Any, account: StaffAccount, session: StaffSession | None
) -> StaffContext:
    config = container.site.current()
    try:
        office = office_by_code(account.office, config.offices)
    except RuleInputError:  # the office was removed: it handles nothing
        office = Office(account.office, account.office, account.office, False)
    return StaffContext(
        account, session, office, office_status(office, container.clock(), config.calendar)
    )


def resolve_staff(request: Request) -> StaffContext | None:
    """The staff member of this browser session (also put on request.state for templates)."""
    if hasattr(request.state, "staff"):
        return request.state.staff  # type: ignore[no-any-return]
    container = request.app.state.container
    token = request.cookies.get(SESSION_COOKIE, "")
    found = container.staff.session(token) if token else None
    ctx = staff_context(container, *found) if found else None
    request.state.staff = ctx
    if ctx is not None and ctx.session is not None:
        request.state.csrf = ctx.session.csrf
    return ctx


def require_staff(role: StaffRole = StaffRole.CLERK):  # type: ignore[no-untyped-def]
    def dependency(request: Request) -> StaffContext:
        ctx = resolve_staff(request)
        if ctx is None:
            raise LoginRequired()
        if not ctx.may(role):
            raise Forbidden(role)
        return ctx

    return dependency


def ensure_csrf_cookie(request: Request) -> str:
    """The anonymous double-submit token (set as a cookie by the middleware when new)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = token
    if not getattr(request.state, "csrf", None):
        request.state.csrf = token
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after the CSRF check; raises CsrfFailed."""
    form = await request.form(max_part_size=MAX_FORM_BYTES)
    sent = form.get("csrf_token")
    ctx = resolve_staff(request)
    expected = ctx.session.csrf if ctx and ctx.session else request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()
    return form
