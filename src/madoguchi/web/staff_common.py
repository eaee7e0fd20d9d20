"""What the staff pages share: certificate rows for display, redirects that carry a refusal's
code back to the page it came from, and small form parsers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from madoguchi.card.errors import CardError
from madoguchi.pki.errors import PkiError
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import jst_date
from madoguchi.rules.errors import RuleError
from madoguchi.rules.validity import renewal_offered, renewal_window_opens
from madoguchi.services.domain import ServiceError
from madoguchi.web.api_models import FIRST_DAY, LAST_DAY

log = logging.getLogger("madoguchi.web.counter")

#: the errors of the layers that a page shows as a message on the page it came from
LayerError = (RuleError, PkiError, CardError, ServiceError)


@dataclass(frozen=True, slots=True)
class CertRow:
    record: CertRecord
    expires: date
    status: str
    renewable: bool
    window_opens: date


def today(request: Request) -> date:
    return jst_date(request.app.state.container.clock())


def cert_rows(records: list[CertRecord], on: date) -> list[CertRow]:
    """Certificates newest first, each with its status on ``on`` and its renewal window."""
    rows = []
    for rec in sorted(records, key=lambda r: (r.not_before, r.kind.value), reverse=True):
        expires = jst_date(rec.not_after)
        status = rec.status.value if expires >= on else "expired"
        rows.append(
            CertRow(
                rec, expires, status, renewal_offered(on, expires), renewal_window_opens(expires)
            )
        )
    return rows


def back(url: str, error: str | None = None, **params: str) -> RedirectResponse:
    query = urlencode({**params, **({"error": error} if error else {})})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def refused(exc: Exception, url: str) -> RedirectResponse:
    """Show a refusal on the page it came from (the service logged it for the supervisor)."""
    code = getattr(exc, "code", "internal_error")
    log.info("counter refused %s: %s", code, exc)
    params = getattr(exc, "params", None)  # R-X509-2: the character the message names
    extra = {f"ep_{k}": str(v) for k, v in params.items()} if isinstance(params, dict) else {}
    return back(url, code, **extra)


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def query_day(request: Request, value: str) -> date:
    """A day asked for in the query string (``?day=2026-11-24``), today when none; a 400 with
    a message when it is not a date or lies outside the years the pages show."""
    if not value.strip():
        return today(request)
    chosen = parse_date(value[:10]) if len(value.strip()) == 10 else None
    if chosen is None:
        raise HTTPException(400, "bad_day")
    if not FIRST_DAY <= chosen <= LAST_DAY:
        raise HTTPException(400, "day_out_of_range")
    return chosen


def strs(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def to_int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default
