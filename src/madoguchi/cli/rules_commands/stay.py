"""`rules validity-change`: the card's expiry when a foreign resident's stay is extended
(R-CARD-3) or while its renewal is pending (R-CARD-4)."""

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
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.cli.rules_commands.shared import jdate, optional_jdate
from madoguchi.rules.stay import StayApplicant, special_extension, validity_change


def cmd_validity_change(
    birth: DateOpt,
    created: DateOpt,
    card_expiry: Annotated[
        str, typer.Option("--card-expiry", metavar="YYYY-MM-DD", help="カードの現在の有効期限")
    ],
    on: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="申請の日")],
    new_stay_until: OptDateOpt = None,
    special_extension_: Annotated[
        bool,
        typer.Option("--special-extension", help="特例期間による延長（在留期間の更新申請中）"),
    ] = False,
    extended_before: Annotated[
        bool, typer.Option("--extended-before", help="特例期間による延長をすでにした")
    ] = False,
    applicant: Annotated[
        StayApplicant,
        typer.Option(
            help="holder（本人）/ legal_representative（法定代理人）/ household（同一世帯の方）"
        ),
    ] = StayApplicant.HOLDER,
    json: JsonOpt = False,
) -> None:
    """在留期間の更新に伴うカードの有効期間変更・特例期間の延長（R-CARD-3、R-CARD-4）"""
    with handled(json):
        if (new_stay_until is None) == (not special_extension_):
            raise CliInputError(
                "usage",
                "--new-stay-until（有効期間変更）か --special-extension（特例期間の延長）の"
                "どちらか一方を指定してください。",
            )
        if extended_before and not special_extension_:
            raise CliInputError(
                "usage", "--extended-before は --special-extension と一緒に指定してください。"
            )
        args = {
            "birth": parse_date(birth, "--birth"),
            "created": parse_date(created, "--created"),
            "card_expires": parse_date(card_expiry, "--card-expiry"),
            "on": parse_date(on, "--on"),
        }
        stay = parse_optional_date(new_stay_until, "--new-stay-until")
        if stay is not None:
            result = validity_change(**args, new_stay_until=stay, applicant=applicant)
        else:
            result = special_extension(**args, extended_before=extended_before)
    procedure = "validity_change" if stay is not None else "special_extension"
    data = {
        "procedure": procedure,
        "card_expiry": args["card_expires"],
        "allowed": result.allowed,
        "new_expiry": result.new_expiry,
        "reason": result.reason.value if result.reason else None,
        "limited_by_stay": result.limited_by_stay,
        "renew_certificates": result.renew_certificates,
    }
    title = "カードの有効期間変更" if stay is not None else "特例期間によるカードの有効期間の延長"
    rows = [
        ("現在の有効期限", jdate(args["card_expires"])),
        ("判定", "できます" if result.allowed else "できません"),
        ("新しい有効期限", optional_jdate(result.new_expiry)),
    ]
    notes = []
    if result.reason is not None:
        notes.append(result.reason.message)
    elif stay is not None:
        basis = "新しい在留期間の満了日" if result.limited_by_stay else "誕生日による上限"
        rows.append(("決め手", basis))
        notes.append(
            "署名用・利用者証明用の電子証明書も同じ来庁で更新します。"
            if result.renew_certificates
            else "電子証明書の更新は、後日本人（または法定代理人）が来庁して行います。"
        )
    else:
        notes.append(
            "特例期間による延長は1回だけです。在留期間が更新されたら、有効期間変更の手続きをしてください。"
        )
    emit(data, json_mode=json, title=title, rows=rows, notes=notes)
