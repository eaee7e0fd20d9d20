"""`rules checklist`, `rules office`, `rules fee`: the counter's procedures, offices and fees
(SPEC §4 P1…P5, R-PROC-0, R-PROC-4, R-FEE-1, R-FEE-2)."""

from __future__ import annotations

from typing import Annotated

import typer

from madoguchi.cli.common import DateOpt, JsonOpt, handled, parse_date, parse_moment
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.rules.dates import JST, format_japanese
from madoguchi.rules.fees import FeeReason, fee_on
from madoguchi.rules.offices import DEFAULT_OFFICES, office_by_code, office_status
from madoguchi.rules.procedures import Applicant, Purpose, checklist, select_procedure


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


def cmd_fee(
    on: DateOpt,
    reason: Annotated[
        FeeReason | None,
        typer.Option(
            help="カードが手元にある理由 new（新規）/ renewal（更新）/ reissue（本人の事由による"
            "再交付）/ reissue_not_at_fault（本人の事由によらない再交付）/ abroad_reissue_90d"
            "（国外転出後90日以内の申請）"
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """発行・更新の手数料（R-PROC-4、R-FEE-1、R-FEE-2）"""
    with handled(json):
        fee = fee_on(parse_date(on, "--on"), reason=reason)
    data: dict[str, object] = {
        "standard": fee.standard,
        "due": fee.due,
        "waived": fee.waived,
        "waiver": fee.waiver,
        "effective_from": fee.effective_from,
    }
    rows = [
        ("手数料（1回）", f"{fee.standard}円"),
        ("お支払い", f"{fee.due}円" + (f"（{fee.waiver}）" if fee.waived else "")),
    ]
    if fee.reason is not None:  # the keys of R-FEE, only when the reason is given
        data["reason"] = fee.reason.value
        data["reason_label"] = fee.reason.label
        data["note"] = fee.note
        rows.insert(0, ("理由", fee.reason.label))
        if fee.note:
            rows[-1] = ("お支払い", f"{fee.due}円（{fee.note}）")
    emit(data, json_mode=json, title="電子証明書の発行・更新手数料", rows=rows)


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
