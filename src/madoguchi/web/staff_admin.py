"""The admin's screens: offices and hours, closures, the fee schedule, staff accounts and
their API tokens. Every change goes through a service that validates it and audits it.

A saved change redirects to the page, which says what was saved (``?saved=…``); a refused one
shows the page again with what the admin typed and a message that names the field, the line
and the value it could not read (issue 15).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from madoguchi.rules.errors import RuleError
from madoguchi.rules.fees import FeeEntry
from madoguchi.rules.offices import Office
from madoguchi.services.domain import Refused, ServiceError, StaffRole
from madoguchi.web import i18n
from madoguchi.web.errors import message_of
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.templating import render

Admin = Depends(require_staff(StaffRole.ADMIN))
_TIME = re.compile(r"(\d{1,2})(?::|時)(\d{2})分?|(\d{1,2})時")
#: what ``?saved=`` may say (the page's words come from the template)
SAVED = ("office", "calendar", "fees", "staff_added", "staff_updated", "token_revoked")


class FormError(Refused):
    """A value of the admin's form that cannot be read: the message names the field (in the
    page's language), the line of a list, and the value."""

    def __init__(self, code: str, field: str, name: str, **params: object) -> None:
        super().__init__(code, f"{name}: {params}")
        self.name = name  # the form field, for aria-invalid
        self.params = {"field": i18n.gettext(field), **params}


def _text(form: FormData, name: str, limit: int = 200) -> str:
    return " ".join(str(form.get(name, "")).split())[:limit]


def parse_time(value: str, field: str, name: str) -> time:
    """8:30, 08:30, ８：３０ (full width, from an IME), 8時30分 or 9時."""
    text = unicodedata.normalize("NFKC", value).strip()
    m = _TIME.fullmatch(text)
    try:
        if m is None:
            raise ValueError(text)
        hour, minute = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), 0)
        return time(hour, minute)
    except ValueError:
        raise FormError("bad_time", field, name, value=value[:20]) from None


def parse_dates(text: str, field: str, name: str) -> set[date]:
    """One day per line, 2026-12-01 (full-width digits and slashes are read too)."""
    out = set()
    for number, line in enumerate(text.splitlines(), start=1):
        value = unicodedata.normalize("NFKC", line).strip().replace("/", "-")
        if not value:
            continue
        try:
            out.add(date.fromisoformat(value))
        except ValueError:
            raise FormError(
                "bad_closure_line", field, name, line=number, value=line.strip()[:40]
            ) from None
    return out


def office_form(form: FormData) -> str:
    """The id of an office's form on the page (the anchor a save returns to)."""
    if form.get("new"):
        return "f-office-new"
    return "f-office-" + re.sub(r"[^a-z0-9_-]", "", _text(form, "code", 32))


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/admin", include_in_schema=False)

    def page(
        request: Request,
        error: str | None = None,
        token: str | None = None,
        *,
        refused: dict[str, Any] | None = None,
        saved: str | None = None,
        status_code: int = 200,
    ) -> Response:
        c = request.app.state.container
        config = c.site.current()
        accounts = c.staff.accounts()
        context = {
            "config": config,
            "closed": "\n".join(sorted(d.isoformat() for d in config.calendar.closed)),
            "opened": "\n".join(sorted(d.isoformat() for d in config.calendar.opened)),
            "accounts": accounts,
            "tokens": {a.id: c.staff.api_tokens(a.id) for a in accounts},
            "now": c.clock(),
            "roles": list(StaffRole),
            "error": error,
            "token": token,
            "refused": refused,
            "saved": saved if saved in SAVED else None,
            "saved_what": request.query_params.get("what", "")[:100],
        }
        return render(request, "admin/index.html", context, status_code=status_code)

    @r.get("")
    def index(
        request: Request, ctx: StaffContext = Admin, error: str | None = None, saved: str = ""
    ) -> Response:
        return page(request, error, saved=saved)

    async def act(request: Request, action, saved: Any = "", name: Any = "") -> Response:  # type: ignore[no-untyped-def]
        form = await checked_form(request)
        form_name: str = name(form) if callable(name) else name
        saved = saved(form) if callable(saved) else saved
        try:
            result = action(form)
        except (RuleError, ServiceError) as exc:
            # the page again, with what was typed and the message beside the form
            refused = {
                "form": form_name,
                "code": exc.code,
                "message": message_of(exc),
                "field": getattr(exc, "name", ""),
                "values": {k: str(v)[:2000] for k, v in form.items() if k != "csrf_token"},
            }
            return page(request, refused=refused, status_code=422)
        if isinstance(result, str):  # a new API token: shown once, on this response only
            return page(request, token=result)
        what = _text(form, "name", 100) or _text(form, "login", 64)
        anchor = f"#{form_name}" if form_name else ""
        query = f"?saved={saved}&what={quote(what)}" if saved else ""
        return RedirectResponse(f"/staff/admin{query}{anchor}", status_code=303)

    @r.post("/offices")
    async def save_office(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> None:
            office = Office(
                code=_text(form, "code", 32),
                name=_text(form, "name", 100),
                desk=_text(form, "desk"),
                handles_certificates=form.get("handles_certificates") == "1",
                opens=parse_time(_text(form, "opens", 20), "開始", "opens"),
                closes=parse_time(_text(form, "closes", 20), "終了", "closes"),
                address=_text(form, "address"),
                phone=_text(form, "phone", 20),
            )
            c.site.save_office(office, ctx.actor)

        return await act(request, do, "office", office_form)

    @r.post("/calendar")
    async def save_calendar(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container
        return await act(
            request,
            lambda f: c.site.save_calendar(
                parse_dates(str(f.get("closed", "")), "追加の閉庁日", "closed"),
                parse_dates(str(f.get("opened", "")), "臨時の開庁日", "opened"),
                ctx.actor,
            ),
            "calendar",
            "f-calendar",
        )

    @r.post("/fees")
    async def add_fee(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> None:
            try:
                entry = FeeEntry(
                    date.fromisoformat(_text(form, "effective_from", 10)),
                    int(_text(form, "standard_yen", 7)),
                    form.get("waived") == "1",
                    _text(form, "waiver") or None,
                )
            except ValueError:
                raise Refused("bad_number", "fee entry") from None
            c.site.add_fee_entry(entry, ctx.actor)

        return await act(request, do, "fees", "f-fees")

    @r.post("/staff")
    async def add_staff(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> None:
            try:
                role = StaffRole(_text(form, "role", 16))
            except ValueError:
                raise Refused("forbidden", "unknown role") from None
            c.staff.create_account(
                login=_text(form, "login", 64),
                name=_text(form, "name", 100),
                role=role,
                office=_text(form, "office", 32),
                password=str(form.get("password", ""))[:200],
                actor=ctx.actor,
            )

        return await act(request, do, "staff_added", "f-staff-new")

    @r.post("/staff/{login}")
    async def update_staff(request: Request, login: str, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> str | None:
            if form.get("action") == "token":
                return c.staff.create_api_token(login[:64], _text(form, "label", 64), ctx.actor)  # type: ignore[no-any-return]
            if form.get("action") == "revoke_token":
                c.staff.revoke_api_token(login[:64], _text(form, "ref", 64), ctx.actor)
                return None
            try:
                role = StaffRole(_text(form, "role", 16))
            except ValueError:
                raise Refused("forbidden", "unknown role") from None
            c.staff.update_account(
                login[:64],
                actor=ctx.actor,
                role=role,
                office=_text(form, "office", 32),
                active=form.get("active") == "1",
                password=str(form.get("password", ""))[:200] or None,
                unlock=form.get("unlock") == "1",
            )
            return None

        def saved(form: FormData) -> str:
            return "token_revoked" if form.get("action") == "revoke_token" else "staff_updated"

        return await act(request, do, saved, f"f-staff-{login[:64]}")

    return r
