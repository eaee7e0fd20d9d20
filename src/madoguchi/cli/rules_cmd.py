"""`madoguchi rules …`: ask the rules layer a question, in Japanese or as JSON."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

from madoguchi.cli.common import (
    DateOpt,
    JsonOpt,
    OptDateOpt,
    handled,
    parse_date,
    parse_moment,
    parse_optional_date,
)
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.rules.dates import (
    JST,
    end_of_day_jst,
    format_japanese,
    format_japanese_with_western,
    jpki_birth_field,
    three_months_before,
)
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.fees import fee_on
from madoguchi.rules.offices import DEFAULT_OFFICES, office_by_code, office_status
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.procedures import Applicant, Purpose, checklist, select_procedure
from madoguchi.rules.revocation import RegistryEvent, revocation_for
from madoguchi.rules.validity import (
    CertKind,
    card_expiry,
    certificate_expiry,
    in_renewal_window,
    renewal_offered,
    renewal_window_opens,
)


def jdate(day: date) -> str:
    return format_japanese_with_western(day)


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
    json: JsonOpt = False,
) -> None:
    """マイナンバーカードの有効期限（R-CARD-1）"""
    with handled(json):
        result = card_expiry(
            parse_date(birth, "--birth"),
            parse_date(created, "--created"),
            stay_until=parse_optional_date(stay_until, "--stay-until"),
        )
    data = {
        "expires_on": result.expires_on,
        "birthday": result.birthday,
        "age_at_creation": result.age_at_creation,
        "limited_by_stay": result.limited_by_stay,
        "expires_on_ja": format_japanese(result.expires_on),
    }
    basis = (
        "在留期間の満了日" if result.limited_by_stay else f"発行日後{result.birthday}回目の誕生日"
    )
    emit(
        data,
        json_mode=json,
        title="マイナンバーカードの有効期限",
        rows=[
            ("有効期限", jdate(result.expires_on)),
            ("発行時の年齢", f"{result.age_at_creation}歳"),
            ("決め手", basis),
        ],
    )


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


def cmd_checklist(
    procedure: Annotated[Purpose, typer.Option(help="new（新規）/ renewal（更新）")],
    applicant: Annotated[Applicant, typer.Option(help="self（本人）/ proxy（代理人）")],
    notice: Annotated[bool, typer.Option("--notice", help="有効期限通知書が手元にある")] = False,
    pin_known: Annotated[
        bool, typer.Option("--pin-known", help="本人が住民基本台帳用暗証番号を知っている")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """窓口に持ってくるもの（SPEC §4 P1〜P5）"""
    proc = select_procedure(procedure, applicant, notice=notice)
    visits = checklist(proc, pin_known=pin_known, notice=notice)
    main = office_by_code("main")
    data = {
        "procedure": proc.id.value,
        "title": proc.title,
        "visits": [
            {
                "visit": v.number,
                "step": v.step.value,
                "items": [i.value for i in v.items],
                "labels": [i.label for i in v.items],
                "outcome": v.outcome,
            }
            for v in visits
        ],
        "office": {"name": main.name, "desk": main.desk, "hours": main.hours_text()},
    }
    if json:
        emit(data, json_mode=True, title="", rows=[])
        return
    rows = []
    for v in visits:
        step = "申し出" if v.step.value == "request" else "発行"
        lines = "\n".join(f"・{i.label}" + (f"（{i.note}）" if i.note else "") for i in v.items)
        rows.append((f"{v.number}回目（{step}）", f"{lines}\n→ {v.outcome}"))
    emit(
        data,
        json_mode=False,
        title=f"{proc.id} {proc.title}",
        rows=rows,
        notes=[f"場所: {main.desk}　受付時間: {main.hours_text()}（土日祝日・年末年始を除く）"],
    )


def cmd_pin(
    kind: Annotated[PinKind, typer.Option(help="sign / auth / juki / kenmen")],
    value: Annotated[str, typer.Argument(help="確かめる暗証番号")],
    json: JsonOpt = False,
) -> None:
    """暗証番号の形式（R-PIN-1）。正しければ終了コード0、正しくなければ1"""
    result = check_pin(kind, value)
    data = {
        "kind": kind.value,
        "valid": result.valid,
        "normalized": result.normalized,
        "problem": result.problem.value if result.problem else None,
        "max_tries": kind.max_tries,
    }
    emit(
        data,
        json_mode=json,
        title=kind.label,
        rows=[
            ("判定", "使えます" if result.valid else "使えません"),
            ("理由", result.problem.message if result.problem else "—"),
            ("誤入力でロックされる回数", f"{kind.max_tries}回"),
        ],
    )
    if not result.valid:
        sys.exit(1)


def cmd_fee(on: DateOpt, json: JsonOpt = False) -> None:
    """発行・更新の手数料（R-PROC-4）"""
    with handled(json):
        fee = fee_on(parse_date(on, "--on"))
    data = {
        "standard": fee.standard,
        "due": fee.due,
        "waived": fee.waived,
        "waiver": fee.waiver,
        "effective_from": fee.effective_from,
    }
    emit(
        data,
        json_mode=json,
        title="電子証明書の発行・更新手数料",
        rows=[
            ("手数料（1回）", f"{fee.standard}円"),
            ("お支払い", f"{fee.due}円" + (f"（{fee.waiver}）" if fee.waived else "")),
        ],
    )


def cmd_office(
    office: Annotated[
        str, typer.Option(help="main（本庁）/ kawanishi（川西支所）/ taisho（大正支所）")
    ],
    at: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DDTHH:MM", help="日本時間の日時（省略時は今）")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """窓口で電子証明書の手続きができるか（R-PROC-0）"""
    with handled(json):
        if office not in {o.code for o in DEFAULT_OFFICES}:
            codes = ", ".join(o.code for o in DEFAULT_OFFICES)
            raise CliInputError(
                "invalid_choice", f"--office には次のいずれかを指定してください: {codes}"
            )
        moment = parse_moment(at, "--at")
        status = office_status(office_by_code(office), moment)
    data = {
        "office": status.office.code,
        "name": status.office.name,
        "at": moment.astimezone(JST),
        "can_process": status.can_process,
        "open": status.open,
        "can_process_now": status.can_process_now,
        "next_open": status.next_open,
        "hours": status.office.hours_text(),
        "message": status.message,
    }
    rows = [
        (
            "窓口",
            status.office.name
            + (f"（{status.office.desk}）" if status.office.desk != status.office.name else ""),
        ),
        (
            "電子証明書の手続き",
            "できます" if status.can_process else "できません（本庁で受け付けます）",
        ),
        ("この日時", "開庁中" if status.open else "閉庁"),
    ]
    if status.can_process and not status.open and status.next_open is not None:
        rows.append(
            ("次の受付開始", f"{format_japanese(status.next_open.date())} {status.next_open:%H:%M}")
        )
    emit(data, json_mode=json, title="窓口の案内", rows=rows, notes=[status.message])


def cmd_eligible(
    kind: Annotated[CertKind, typer.Option(help="sign / auth")],
    birth: DateOpt,
    on: DateOpt,
    adult_ward: Annotated[bool, typer.Option("--adult-ward", help="成年被後見人")] = False,
    juki_card: Annotated[
        bool, typer.Option("--juki-card", help="住民基本台帳カードでの申請")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """電子証明書を発行できるか（R-ELIG-1、R-ELIG-2）"""
    with handled(json):
        result = eligibility(
            kind,
            birth=parse_date(birth, "--birth"),
            on=parse_date(on, "--on"),
            adult_ward=adult_ward,
            juki_card=juki_card,
        )
    data = {
        "kind": kind.value,
        "eligible": result.eligible,
        "reason": result.reason.value if result.reason else None,
        "message": result.message,
    }
    emit(
        data,
        json_mode=json,
        title=f"{kind.label}の発行",
        rows=[("判定", "発行できます" if result.eligible else "発行できません")],
        notes=[] if result.eligible else [result.message],
    )


def cmd_revocation(
    event: Annotated[RegistryEvent, typer.Option(help="住民票の異動やカードの出来事")],
    kind: Annotated[
        list[CertKind] | None,
        typer.Option(help="本人の申請（request）で失効させる証明書（省略時は両方）"),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """異動・届出で失効または一時保留となる電子証明書（R-REV-1〜4）"""
    with handled(json):
        decision = revocation_for(event, kinds=kind or None)
    data = {
        "event": event.value,
        "revoke": [k.value for k in decision.revoke],
        "hold": [k.value for k in decision.hold],
        "reason": decision.reason.rfc_name if decision.reason is not None else None,
        "reason_code": int(decision.reason) if decision.reason is not None else None,
    }

    def names(kinds: tuple[CertKind, ...]) -> str:
        return "、".join(k.label for k in kinds) or "なし"

    emit(
        data,
        json_mode=json,
        title=event.label,
        rows=[
            ("失効", names(decision.revoke)),
            ("一時保留", names(decision.hold)),
            ("失効理由（RFC 5280）", data["reason"] or "—"),
        ],
    )


def cmd_date(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")], json: JsonOpt = False
) -> None:
    """日付の和暦表示（R-DATE-5）"""
    with handled(json):
        parsed = parse_date(day, "日付")
        text = format_japanese(parsed)
        field = jpki_birth_field(parsed)
    emit(
        {"date": parsed, "japanese": text, "jpki_birth_field": field},
        json_mode=json,
        title="和暦",
        rows=[("和暦", text), ("証明書の生年月日欄", field)],
    )


def build() -> typer.Typer:
    app = typer.Typer(
        help="窓口の規則（SPEC.md の R-… ）を計算して表示します", no_args_is_help=True
    )
    app.command("expiry")(cmd_expiry)
    app.command("card-expiry")(cmd_card_expiry)
    app.command("renewal-window")(cmd_renewal_window)
    app.command("checklist")(cmd_checklist)
    app.command("pin")(cmd_pin)
    app.command("fee")(cmd_fee)
    app.command("office")(cmd_office)
    app.command("eligible")(cmd_eligible)
    app.command("revocation")(cmd_revocation)
    app.command("date")(cmd_date)
    return app
