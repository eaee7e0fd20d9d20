"""Jinja2 templates with Babel's gettext, the date filters and the page context."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import Response

from madoguchi.messages import japanese, without_placeholders
from madoguchi.rules.dates import JST
from madoguchi.web import i18n
from madoguchi.web.labels import ACTION_LABELS, CARD_STATUS_LABELS, RESIDENT_STATUS_LABELS

TEMPLATES = Path(__file__).parent / "templates"


def _context(request: Request) -> dict[str, Any]:
    return {
        "csrf_token": getattr(request.state, "csrf", ""),
        "staff": getattr(request.state, "staff", None),
        "lang": i18n.current_locale.get(),
        # R-X509-2: the data a refusal names (the character with no substitute), carried
        # beside its code in the query by staff_common.refused
        "error_params": {
            k.removeprefix(ERROR_PARAM_PREFIX): v[:40]
            for k, v in request.query_params.items()
            if k.startswith(ERROR_PARAM_PREFIX)
        },
    }


#: the query parameters that carry an error's data (``ep_character=髙``)
ERROR_PARAM_PREFIX = "ep_"


def message_with(code: str, fallback: str = "", params: dict[str, str] | None = None) -> str:
    """The Japanese (or translated) message of ``code``, with its data filled in."""
    text = i18n.gettext(japanese(code, fallback or code))
    if params:
        try:
            return text.format_map(params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def yen(value: int | None) -> str:
    return (
        "—"
        if value is None
        else f"{value:,}円"
        if i18n.current_locale.get() == "ja"
        else f"¥{value:,}"
    )


_POSTAL = re.compile(r"(〒?\s?\d{3}-\d{4})")
_PHONE = re.compile(r"(\d{2,5}-\d{1,4}-\d{4})")


def nobreak(text: object) -> Markup:
    """Escape ``text`` and keep its postal codes and phone numbers on one line."""
    safe = str(escape(text))
    for pattern in (_POSTAL, _PHONE):
        safe = pattern.sub(r'<span class="nowrap">\1</span>', safe)
    return Markup(safe)


def phone(number: object) -> Markup:
    """A phone number as a link a phone can call, never broken across lines."""
    text = str(number or "")
    digits = re.sub(r"[^0-9+]", "", text)
    return Markup('<a class="nowrap" href="tel:{}">{}</a>').format(digits, text)


def ja_text(text: object) -> Markup:
    """Data that is Japanese by nature (a resident's or a clerk's name, an address), marked
    ``lang="ja"`` so an English page reads it as Japanese (screen readers, the checks)."""
    return Markup('<span lang="ja">{}</span>').format(text if text is not None else "")


def place(text: object) -> Markup:
    """An office's name, desk or address from the configuration: its English translation when
    the catalog has one, otherwise the Japanese text marked ``lang="ja"``; postal codes and
    phone numbers stay on one line."""
    source = str(text or "")
    translated = i18n.gettext(source) if source else source
    if i18n.current_locale.get() != "ja" and translated == source and source:
        return Markup('<span lang="ja">{}</span>').format(nobreak(source))
    return nobreak(translated)


def hhmm(moment: Any) -> str:
    """The time of a moment in Japan, 09:05: enough on a page about one day."""
    return "—" if moment is None else f"{moment.astimezone(JST):%H:%M}"


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
    env.filters["nobreak"] = nobreak
    env.filters["phone"] = phone
    env.filters["ja"] = ja_text
    env.filters["place"] = place
    env.filters["hhmm"] = hhmm
    env.globals["actions"] = ACTION_LABELS
    env.globals["card_statuses"] = CARD_STATUS_LABELS
    env.globals["resident_statuses"] = RESIDENT_STATUS_LABELS
    env.globals["message"] = lambda code, fallback="", params=None: (
        message_with(code, fallback, params)
        if params
        else without_placeholders(i18n.gettext(japanese(code, fallback or code)))
    )
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
