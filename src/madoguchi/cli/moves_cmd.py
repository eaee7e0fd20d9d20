"""Moves between municipalities (issue 17, R-NAT-3).

On a counter: `madoguchi registry move-out` (転出: the sign certificate revoked, the CA told
of the planned date) and `madoguchi registry move-in` (転入 with the card kept). On the CA
service: `madoguchi ca run-deadlines` (daily: no move-in within 30 days of the planned date
revokes the auth certificate, R-REV-2) and `madoguchi ca card` (what the CA knows of a card).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from madoguchi.cli.common import (
    DataDirOpt,
    JsonOpt,
    container,
    handled,
    parse_date,
    with_ca,
    with_store,
)
from madoguchi.cli.output import emit
from madoguchi.rules.dates import format_japanese_with_western
from madoguchi.services.audit import Actor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from madoguchi.pki.records import CertRecord

CardIdOpt = Annotated[str, typer.Option("--card-id", help="カードの番号（VC で始まる）")]


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}"[:64], "main", "cli")


def _certs(records: Iterable[CertRecord]) -> list[dict[str, str]]:
    return [
        {"kind": r.kind.value, "serial": r.serial_hex, "status": r.status.value} for r in records
    ]


def cmd_move_out(
    resident: Annotated[str, typer.Option("--resident", help="住民の番号（R で始まる）")],
    planned: Annotated[str, typer.Option("--planned", help="転出予定日 YYYY-MM-DD")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """転出を記録します（署名用電子証明書の失効、認証局への転出予定日の通知。R-NAT-3）"""
    with handled(json):
        day = parse_date(planned, "--planned")
        outcome = with_ca(data_dir).moves.move_out(resident, day, _actor())
    revoked = _certs(outcome.revoked)
    emit(
        {"resident_id": outcome.resident.id, "planned_move_out": day, "revoked": revoked},
        json_mode=json,
        title="転出を記録しました",
        rows=[
            ("住民", outcome.resident.id),
            ("転出予定日", format_japanese_with_western(day)),
            ("失効させた証明書", f"{len(revoked)} 件"),
        ],
    )


def cmd_move_in(
    card_id: CardIdOpt,
    name: Annotated[str, typer.Option("--name", help="氏名")],
    kana: Annotated[str, typer.Option("--kana", help="氏名のフリガナ")],
    birth: Annotated[str, typer.Option("--birth", help="生年月日 YYYY-MM-DD")],
    gender: Annotated[str, typer.Option("--gender", help="性別（1: 男、2: 女）")],
    address: Annotated[str, typer.Option("--address", help="転入先の住所")],
    card_expires: Annotated[
        str, typer.Option("--card-expires", help="カードの有効期限 YYYY-MM-DD（券面のとおり）")
    ],
    card_file: Annotated[
        Path | None,
        typer.Option("--card-file", help="カードのファイル（仮想カード: 転出元の cards/ から）"),
    ] = None,
    postal_code: Annotated[str, typer.Option("--postal-code", help="郵便番号")] = "",
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """転入を記録し、持ってきたカードを登録します（カードの継続利用。R-NAT-3）"""
    from madoguchi.services.domain import Resident, ResidentStatus
    from madoguchi.services.registry import new_resident_id

    with handled(json):
        born = parse_date(birth, "--birth")
        expires = parse_date(card_expires, "--card-expires")
        c = with_ca(data_dir)
        resident = Resident(
            new_resident_id(),
            name,
            kana,
            born,
            gender,
            address,
            ResidentStatus.RESIDENT,
            False,
            None,
            c.clock(),
            postal_code=postal_code,
        )
        moved = c.moves.move_in(resident, card_id, expires, _actor(), card_file=card_file)
    certs = _certs(moved.certificates)
    emit(
        {"resident_id": moved.resident.id, "card_id": moved.card.id, "certificates": certs},
        json_mode=json,
        title="転入を記録し、カードを登録しました",
        rows=[("住民", moved.resident.id), ("カード", moved.card.id)]
        + [(f"{x['kind']} {x['serial']}", x["status"]) for x in certs],
    )


def cmd_run_deadlines(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """転出予定日から30日以内に転入がないカードの利用者証明用電子証明書を失効させます（認証局、毎日実行）"""
    with handled(json):
        c = container(data_dir)
        if c.remote_ca:  # a counter of a CA service: the CA's host runs the rule
            emit(
                {"lapsed": [], "skipped": "ca_service_elsewhere"},
                json_mode=json,
                title="転入期限の確認（R-REV-2、R-NAT-3）",
                rows=[
                    ("結果", "この窓口の認証局は認証局サービスです。転入期限は認証局で確認します")
                ],
            )
            return
        lapsed = c.start().ca_moves.run_deadlines()
    rows = [
        {
            "card_id": x.residence.card_id,
            "moved_out_from": x.residence.moved_out_from,
            "planned_move_out": x.residence.planned_move_out,
            "revoked": _certs(x.revoked),
        }
        for x in lapsed
    ]
    emit(
        {"lapsed": rows},
        json_mode=json,
        title="転入期限の確認（R-REV-2、R-NAT-3）",
        rows=[("失効したカード", f"{len(rows)} 枚")]
        + [(str(r["card_id"]), f"転出元 {r['moved_out_from']}") for r in rows],
    )


def cmd_card(card_id: CardIdOpt, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """認証局が把握するカードの住所地（市区町村）と転出・転入を表示します"""
    from madoguchi.services import ca_wire

    with handled(json):
        c = with_ca(data_dir)
        residence = c.ca_moves.residence(card_id)
        municipality = c.ca_moves.current(card_id)
    data = {
        "card_id": card_id,
        "municipality": municipality,
        "residence": ca_wire.residence_json(residence) if residence is not None else None,
    }
    emit(
        data,
        json_mode=json,
        title="カードの住所地（認証局）",
        rows=[("カード", card_id), ("市区町村", municipality or "（不明）")],
    )


def cmd_municipalities(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """認証局が把握する市区町村の窓口（団体コード、名前、所在地）を表示します"""
    with handled(json):
        counters = with_ca(data_dir).ra_enrolment.municipality_counters()
    items = [
        {
            "municipality": m.municipality,
            "name": m.name,
            "address": m.address,
            "phone": m.phone,
            "hours": m.hours,
        }
        for m in counters
    ]
    emit(
        {"municipalities": items},
        json_mode=json,
        title=f"市区町村の窓口（{len(items)}件）",
        rows=[
            (m.municipality, " ".join(p for p in (m.name, m.address, m.phone, m.hours) if p))
            for m in counters
        ],
    )


def cmd_tell_ca(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """認証局に、この窓口の住民のカードの所持者の記録（有効期限通知書の送付先）を送ります（移行時に1回）"""
    with handled(json):
        c = with_store(data_dir)
        residents, cards = c.moves.tell_ca()
    emit(
        {"residents": residents, "cards": cards, "ca_service": c.remote_ca},
        json_mode=json,
        title="認証局への所持者の記録の送付（R-NAT-2）",
        rows=[
            ("住民", f"{residents} 人"),
            ("送ったカード", f"{cards} 枚"),
        ]
        if c.remote_ca
        else [("結果", "この窓口の認証局は同じプロセスです。送るものはありません")],
    )


def register_registry(app: typer.Typer) -> None:
    app.command("move-out")(cmd_move_out)
    app.command("move-in")(cmd_move_in)
    app.command("tell-ca")(cmd_tell_ca)


def register_ca(ca: typer.Typer) -> None:
    ca.command("run-deadlines")(cmd_run_deadlines)
    ca.command("card")(cmd_card)
    ca.command("municipalities")(cmd_municipalities)
