"""The admin's screens: offices and hours, closures, the fee schedule, staff accounts and
their API tokens. Every change goes through a service that validates it and audits it."""

from __future__ import annotations

from datetime import date, time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from madoguchi.rules.errors import RuleError
from madoguchi.rules.fees import FeeEntry
from madoguchi.rules.offices import Office
from madoguchi.services.domain import Refused, ServiceError, StaffRole
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.templating import render

Admin = Depends(require_staff(StaffRole.ADMIN))


def _text(form: FormData, name: str, limit: int = 200) -> str:
    return " ".join(str(form.get(name, "")).split())[:limit]


def _time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise Refused("bad_hours", f"not a time: {value!r}") from None


def _dates(text: str) -> set[date]:
    out = set()
    for line in text.replace(",", "\n").splitlines():
        if line.strip():
            try:
                out.add(date.fromisoformat(line.strip()))
            except ValueError:
                raise Refused("bad_date", f"not a date: {line.strip()!r}") from None
    return out


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/admin", include_in_schema=False)

    def page(request: Request, error: str | None = None, token: str | None = None) -> Response:
        c = request.app.state.container
        config = c.site.current()
        return render(
            request,
            "admin/index.html",
            {
                "config": config,
                "closed": "\n".join(sorted(d.isoformat() for d in config.calendar.closed)),
                "opened": "\n".join(sorted(d.isoformat() for d in config.calendar.opened)),
                "accounts": c.staff.accounts(),
                "roles": list(StaffRole),
                "error": error,
                "token": token,
            },
        )

    @r.get("")
    def index(request: Request, ctx: StaffContext = Admin, error: str | None = None) -> Response:
        return page(request, error)

    async def act(request: Request, action) -> Response:  # type: ignore[no-untyped-def]
        form = await checked_form(request)
        try:
            result = action(form)
        except (RuleError, ServiceError) as exc:
            return RedirectResponse(f"/staff/admin?error={exc.code}", status_code=303)
        if isinstance(result, str):  # a new API token: shown once, on this response only
            return page(request, token=result)
        return RedirectResponse("/staff/admin", status_code=303)

    @r.post("/offices")
    async def save_office(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> None:
            office = Office(
                code=_text(form, "code", 32),
                name=_text(form, "name", 100),
                desk=_text(form, "desk"),
                handles_certificates=form.get("handles_certificates") == "1",
                opens=_time(_text(form, "opens", 5)),
                closes=_time(_text(form, "closes", 5)),
                address=_text(form, "address"),
                phone=_text(form, "phone", 20),
            )
            c.site.save_office(office, ctx.actor)

        return await act(request, do)

    @r.post("/calendar")
    async def save_calendar(request: Request, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container
        return await act(
            request,
            lambda f: c.site.save_calendar(
                _dates(str(f.get("closed", ""))), _dates(str(f.get("opened", ""))), ctx.actor
            ),
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

        return await act(request, do)

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

        return await act(request, do)

    @r.post("/staff/{login}")
    async def update_staff(request: Request, login: str, ctx: StaffContext = Admin) -> Response:
        c = request.app.state.container

        def do(form: FormData) -> str | None:
            if form.get("action") == "token":
                return c.staff.create_api_token(login[:64], _text(form, "label", 64), ctx.actor)  # type: ignore[no-any-return]
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

        return await act(request, do)

    return r
