"""`rules expiry`, `rules card-expiry`, `rules renewal-window`: how long certificates and cards
are valid (R-VAL-1…3, R-CARD-1, R-CARD-2, R-PROC-3)."""

from __future__ import annotations

from typing import Annotated

import typer

from madoguchi.cli.common import (
    DateOpt,
    JsonOpt,
    OptDateOpt,
    handled,
    parse_date,
    parse_optional_date,
)
from madoguchi.cli.output import emit
from madoguchi.cli.rules_commands.shared import jdate
from madoguchi.rules.dates import end_of_day_jst, format_japanese, three_months_before
from madoguchi.rules.validity import (
    CertKind,
    ResidenceStatus,
    card_expiry,
    certificate_expiry,
    in_renewal_window,
    renewal_offered,
    renewal_window_opens,
)


def cmd_expiry(
    kind: Annotated[
        CertKind, typer.Option(help="証明書の種類 sign（署名用）/ auth（利用者証明用）")
    ],
    birth: DateOpt,
    issued: DateOpt,
    card_expiry_: Annotated[str, typer.Option("--card-expiry", metavar="YYYY-MM-DD")],
    auth_expiry: OptDateOpt = None,
    replacing: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="発行時に持っている同じ種類の証明書の有効期限"),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """電子証明書の有効期限（R-VAL-1〜3）"""
    with handled(json):
        result = certificate_expiry(
            kind,
            birth=parse_date(birth, "--birth"),
            issued=parse_date(issued, "--issued"),
            card_expiry=parse_date(card_expiry_, "--card-expiry"),
            auth_expiry=parse_optional_date(auth_expiry, "--auth-expiry"),
            replacing=parse_optional_date(replacing, "--replacing"),
        )
    data = {
        "kind": kind.value,
        "expires_on": result.expires_on,
        "limited_by": result.limited_by.value,
        "birthday": result.birthday,
        "birthday_date": result.birthday_date,
        "early_renewal": result.early_renewal,
        "not_after": end_of_day_jst(result.expires_on),
        "expires_on_ja": format_japanese(result.expires_on),
    }
    rule = f"発行日後{result.birthday}回目" + (
        "（更新期間内の更新）" if result.early_renewal else ""
    )
    emit(
        data,
        json_mode=json,
        title=f"{kind.label}の有効期限",
        rows=[
            ("有効期限", jdate(result.expires_on)),
            ("決め手", result.limited_by.label),
            ("誕生日による期限", f"{rule}の誕生日 {jdate(result.birthday_date)}"),
        ],
    )


def cmd_card_expiry(
    birth: DateOpt,
    created: DateOpt,
    stay_until: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="在留期間の満了日（永住者以外の外国人住民）"),
    ] = None,
    status: Annotated[
        ResidenceStatus | None,
        typer.Option(
            help="在留資格 permanent（永住者）/ special_permanent（特別永住者）/ "
            "highly_skilled_2（高度専門職2号）/ other（在留期間のあるその他の資格）"
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """マイナンバーカードの有効期限（R-CARD-1、R-CARD-2）"""
    with handled(json):
        result = card_expiry(
            parse_date(birth, "--birth"),
            parse_date(created, "--created"),
            stay_until=parse_optional_date(stay_until, "--stay-until"),
            status=status,
        )
    data: dict[str, object] = {
        "expires_on": result.expires_on,
        "birthday": result.birthday,
        "age_at_creation": result.age_at_creation,
        "limited_by_stay": result.limited_by_stay,
        "expires_on_ja": format_japanese(result.expires_on),
    }
    basis = (
        "在留期間の満了日" if result.limited_by_stay else f"発行日後{result.birthday}回目の誕生日"
    )
    rows = [
        ("有効期限", jdate(result.expires_on)),
        ("発行時の年齢", f"{result.age_at_creation}歳"),
        ("決め手", basis),
    ]
    notes: list[str] = []
    if status is not None:  # the keys of R-CARD-2, only when the status is given
        data["status"] = status.value
        data["has_period_of_stay"] = status.has_period_of_stay
        rows.append(("在留資格", status.label))
        if not status.has_period_of_stay:
            notes.append("在留期間によってカードの有効期限が短くなることはありません。")
    emit(data, json_mode=json, title="マイナンバーカードの有効期限", rows=rows, notes=notes)


def cmd_renewal_window(
    expires: DateOpt,
    on: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="この日に更新できるかも判定する")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """更新できる期間（R-VAL-3、R-PROC-3）"""
    with handled(json):
        exp = parse_date(expires, "--expires")
        day = parse_optional_date(on, "--on")
    opens = renewal_window_opens(exp)
    data: dict[str, object] = {
        "expires_on": exp,
        "opens_on": opens,
        "three_months_before": three_months_before(exp),
        "window_last_day": exp,
    }
    rows = [
        ("現在の証明書の有効期限", jdate(exp)),
        ("更新期間の開始日", jdate(opens)),
        ("6回目の誕生日まで延びる期間", f"{jdate(opens)}〜{jdate(exp)}"),
    ]
    if day is not None:
        inside = in_renewal_window(day, exp)
        data |= {
            "on": day,
            "in_window": inside,
            "renewal_offered": renewal_offered(day, exp),
            "birthday": 6 if inside else 5,
        }
        answer = "更新できます" if renewal_offered(day, exp) else "まだ更新できません"
        rows.append(
            (f"{jdate(day)}の判定", f"{answer}（発行日後{6 if inside else 5}回目の誕生日まで）")
        )
    emit(
        data,
        json_mode=json,
        title="電子証明書の更新期間",
        rows=rows,
        notes=["有効期限が過ぎた後も更新（新規発行）できます（5回目の誕生日まで）。"],
    )
