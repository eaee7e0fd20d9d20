"""`rules abroad`: continued use of the card and the 国外転出者向け signing certificate when
moving abroad (R-ABROAD-1, R-ABROAD-3)."""

from __future__ import annotations

from typing import Annotated

import typer

from madoguchi.cli.common import JsonOpt, handled, parse_date
from madoguchi.cli.output import emit
from madoguchi.cli.rules_commands.shared import jdate, optional_jdate
from madoguchi.rules.abroad import (
    AbroadApplicant,
    AbroadRefusal,
    AbroadSignRoute,
    Nationality,
    abroad_sign_allowed,
    continued_use_allowed,
    free_new_card_until,
)

_ROUTES = {
    AbroadSignRoute.IN_PERSON: "本人が窓口で申請",
    AbroadSignRoute.SAME_DAY_WITH_ATTORNEY: "委任状を持って即日申請",
    AbroadSignRoute.INQUIRY_LETTER: "照会書による手続き（P2、転出予定日の前日までに発行）",
}


def cmd_abroad(
    nationality: Annotated[Nationality, typer.Option(help="jp（日本国籍）/ foreign（外国籍）")],
    move_out: Annotated[
        str, typer.Option("--move-out", metavar="YYYY-MM-DD", help="国外転出（予定）日")
    ],
    on: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="申し出・申請の日")],
    applicant: Annotated[
        AbroadApplicant,
        typer.Option(
            help="self（本人）/ household（同一世帯の方・法定代理人）/ proxy（その他の代理人）"
        ),
    ],
    continued: Annotated[
        bool, typer.Option("--continued", help="カードはすでに国外継続利用中")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """国外転出: カードの継続利用と国外転出者向けの署名用電子証明書（R-ABROAD-1、R-ABROAD-3）"""
    with handled(json):
        out_day = parse_date(move_out, "--move-out")
        day = parse_date(on, "--on")
    cont = continued_use_allowed(nationality, move_out=out_day, on=day)
    sign = abroad_sign_allowed(
        nationality, move_out=out_day, on=day, applicant=applicant, continued=continued
    )
    data = {
        "nationality": nationality.value,
        "move_out": out_day,
        "on": day,
        "applicant": applicant.value,
        "continued": continued,
        "continue_allowed": cont.allowed,
        "continue_reason": cont.reason.value if cont.reason else None,
        "continue_deadline": cont.deadline,
        "sign_allowed": sign.allowed,
        "sign_reason": sign.reason.value if sign.reason else None,
        "sign_route": sign.route.value if sign.route else None,
        "sign_issue_by": sign.issue_by,
        "free_new_card_until": free_new_card_until(out_day),
    }
    rows = [
        ("国外転出日", jdate(out_day)),
        ("判定日", jdate(day)),
        (
            "継続利用の申し出",
            f"できます（{jdate(cont.deadline)}まで）" if cont.allowed else "できません",
        ),
        ("申請する人", applicant.label),
        (
            "国外転出者向け証明書",
            f"申請できます: {_ROUTES[sign.route]}" if sign.route else "申請できません",
        ),
    ]
    if sign.issue_by is not None:
        rows.append(("発行の期限", optional_jdate(sign.issue_by)))
    notes = [r.message for r in (cont.reason, sign.reason) if r is not None]
    if not cont.allowed and not continued and cont.reason is not AbroadRefusal.TOO_LATE:
        notes.append(
            f"継続利用しない場合、カードは転出で失効します。"
            f"{jdate(free_new_card_until(out_day))}までの新規申請は無料です。"
        )
    emit(
        data,
        json_mode=json,
        title="国外転出とマイナンバーカード",
        rows=rows,
        notes=list(dict.fromkeys(notes)),
    )
