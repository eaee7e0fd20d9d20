"""Jinja2 templates with Babel's gettext, the date filters and the page context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from madoguchi.messages import japanese
from madoguchi.web import i18n
from madoguchi.web.labels import ACTION_LABELS, CARD_STATUS_LABELS, RESIDENT_STATUS_LABELS

TEMPLATES = Path(__file__).parent / "templates"


def _context(request: Request) -> dict[str, Any]:
    return {
        "csrf_token": getattr(request.state, "csrf", ""),
        "staff": getattr(request.state, "staff", None),
        "lang": i18n.current_locale.get(),
    }


def yen(value: int | None) -> str:
    return (
        "—"
        if value is None
        else f"{value:,}円"
        if i18n.current_locale.get() == "ja"
        else f"¥{value:,}"
    )


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    templates = Jinja2Templates(env=env, context_processors=[_context])
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["wareki"] = i18n.wareki
    env.filters["when"] = i18n.when
    env.filters["yen"] = yen
    env.globals["actions"] = ACTION_LABELS
    env.globals["card_statuses"] = CARD_STATUS_LABELS
    env.globals["resident_statuses"] = RESIDENT_STATUS_LABELS
    env.globals["message"] = lambda code, fallback="": i18n.gettext(
        japanese(code, fallback or code)
    )
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
