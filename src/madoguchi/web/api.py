"""The counter's JSON API under /api/v1, for counter software and scripts.

Every operation needs a staff API token (``Authorization: Bearer …``, issued by
``madoguchi staff token``); counter operations need the clerk role, ``/supervisor/…`` the
supervisor role. The API calls the same services as the staff pages, so the rules (R-PROC-0
branch offices, R-PROC-1 ID documents, R-PROC-2 letters, R-PIN-1 formats, …) are the same;
a refusal the rules make is logged for the supervisor's list of the day's refusals.

Errors are ``{"detail": "<english_code>", "message": "<日本語>"}`` (web/errors.py). PINs are
taken, checked and handed to the card; they are never returned, stored or logged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from madoguchi.web.api_counter import add_counter_routes
from madoguchi.web.api_counter_2026 import add_counter_2026_routes
from madoguchi.web.api_models import ErrorOut
from madoguchi.web.api_reference import add_reference_routes, add_supervisor_routes

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorOut,
        "description": "no valid token (WWW-Authenticate: Bearer)",
    },
    403: {"model": ErrorOut, "description": "the role does not allow it"},
    404: {"model": ErrorOut, "description": "unknown resident, card, case or letter"},
    409: {"model": ErrorOut, "description": "refused by the rules (branch_office, …)"},
    422: {"model": ErrorOut, "description": "invalid request (detail invalid_request, …)"},
}

# -- routes --------------------------------------------------------------------------------


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", responses=ERRORS)
    add_counter_routes(r)
    add_counter_2026_routes(r)
    add_reference_routes(r)
    add_supervisor_routes(r)
    return r
