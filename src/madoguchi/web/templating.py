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

TEMPLATES = Path(__file__).parent / "templates"


ACTION_LABELS: dict[str, str] = {
    "case.open": "受付",
    "case.items": "確認したものの記録",
    "case.letter_mailed": "照会書の郵送",
    "case.issue": "発行",
    "case.refuse": "受付できず",
    "case.cancel": "取消し",
    "case.complete": "完了",
    "certificate.issue": "電子証明書の発行",
    "certificate.supersede": "旧電子証明書の失効（更新）",
    "certificate.revoke": "電子証明書の失効",
    "card.pin_reset": "暗証番号の初期化",
    "card.renewal_applied": "カードの更新申請",
    "counter.refused": "規則による受付不可",
    "staff.login": "ログイン",
    "staff.logout": "ログアウト",
    "staff.login_failed": "ログイン失敗",
    "staff.locked": "アカウントのロック",
    "staff.create": "職員の追加",
    "staff.update": "職員の変更",
    "staff.api_token": "APIトークンの作成",
    "config.offices": "窓口の設定変更",
    "config.calendar": "閉庁日の設定変更",
    "config.fees": "手数料の設定変更",
    "document.print": "帳票の印刷",
    "notices.plan": "通知書の送付計画",
    "notices.pause": "通知書の送付の一時停止",
    "notices.resume": "通知書の送付の再開",
    "notices.batch": "通知書の印刷単位の作成",
    "notices.returned": "通知書の返戻の記録",
}
CARD_STATUS_LABELS = {
    "active": "有効",
    "lost": "紛失（電子証明書は一時保留）",
    "returned": "返納",
    "replaced": "再交付により無効",
}


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
    env.globals["resident_statuses"] = {"resident": "住民", "moved_out": "転出", "deceased": "死亡"}
    env.globals["message"] = lambda code, fallback="": i18n.gettext(
        japanese(code, fallback or code)
    )
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
