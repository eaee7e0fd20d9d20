"""`rules id-check`: do the ID documents shown identify the holder or the proxy (R-ID-1…3)?"""

from __future__ import annotations

from typing import Annotated

import typer

from madoguchi.cli.common import JsonOpt, OptDateOpt, handled
from madoguchi.cli.output import emit
from madoguchi.cli.rules_commands.shared import date_or_today, exit_refused, jdate, unknown_code
from madoguchi.rules.id_documents import IdDocument, id_check
from madoguchi.rules.items import IdRole

_WHO = {IdRole.HOLDER: "本人", IdRole.PROXY: "代理人"}


def parse_documents(value: str) -> list[IdDocument]:
    """``CODE[,CODE…]`` of R-ID-1; an unknown code is bad input (exit 2) naming it."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    known = [d.value for d in IdDocument]
    for code in codes:
        if code not in known:
            unknown_code("unknown_id_document", "--docs", code, "書類コード", known)
    return [IdDocument(c) for c in codes]


def cmd_id_check(
    who: Annotated[IdRole, typer.Option(help="holder（本人）/ proxy（代理人）")],
    docs: Annotated[
        str,
        typer.Option(metavar="CODE[,CODE…]", help="提示された本人確認書類のコード（カンマ区切り）"),
    ],
    on: OptDateOpt = None,
    json: JsonOpt = False,
) -> None:
    """本人確認書類がそろっているか（R-ID-1〜3）。そろっていれば終了コード0、足りなければ1"""
    with handled(json):
        documents = parse_documents(docs)
        day = date_or_today(on, "--on")
        result = id_check(who, documents, on=day)
    data = {
        "who": who.value,
        "on": day,
        "documents": [d.value for d in documents],
        "accepted": result.accepted,
        "reason": result.reason.value if result.reason else None,
        "counted": [d.value for d in result.counted],
        "not_counted": [d.value for d in result.not_counted],
        "groups": {d.value: d.group.value for d in documents},
        "message": result.message,
    }

    def listing(items: tuple[IdDocument, ...]) -> str:
        return "\n".join(f"・{d.label}（{d.group.label}）" for d in items) or "なし"

    rows = [
        ("判定", "確認できます" if result.accepted else "確認できません"),
        ("基準日", jdate(day)),
        ("確認に使える書類", listing(result.counted)),
    ]
    if result.not_counted:
        rows.append(("使えない書類", listing(result.not_counted)))
    emit(
        data,
        json_mode=json,
        title=f"{_WHO[who]}の本人確認書類",
        rows=rows,
        notes=[result.message, *result.notes],
    )
    exit_refused(not result.accepted)
