"""`madoguchi card …`: the card in a PC/SC reader, and the virtual card on a virtual reader.

* ``card readers`` — the readers pcscd knows, with the card in each;
* ``card show`` — the certificates on the card in the reader (the certificate display tool
  for cards): kind, holder facts, expiry; the signing certificate after its password;
* ``card pin-status`` — the tries left of each PIN, read without spending one (R-PIN-2);
* ``card serve-vpcd`` — a card of the vault put in vsmartcard's virtual reader.
"""

from __future__ import annotations

import os
import signal
from typing import Annotated, Any

import typer

from madoguchi.card.errors import PinNotSet, WrongPin
from madoguchi.card.jpki import JpkiCard
from madoguchi.card.pcsc import PcscReader, list_readers
from madoguchi.cli.common import EXIT_REFUSED, DataDirOpt, JsonOpt, container, handled
from madoguchi.cli.errors import fail
from madoguchi.cli.output import emit
from madoguchi.pki.facts import GENDER_LABELS
from madoguchi.rules.dates import format_japanese_with_western
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind
from madoguchi.services.certview import describe, load_certificate

ReaderOpt = Annotated[
    str | None,
    typer.Option(
        "--reader", help="カードリーダーの名前（前方一致。省略時はカードの入った最初のリーダー）"
    ),
]
SIGN_PASSWORD_ENV = "MADOGUCHI_SIGN_PASSWORD"
_SLOTS = (
    ("auth", CertKind.AUTH, False),
    ("auth_ca", CertKind.AUTH, True),
    ("sign", CertKind.SIGN, False),
    ("sign_ca", CertKind.SIGN, True),
)
_SLOT_LABELS = {
    "auth": "利用者証明用電子証明書",
    "auth_ca": "利用者証明用電子証明書の発行者（認証局）",
    "sign": "署名用電子証明書",
    "sign_ca": "署名用電子証明書の発行者（認証局）",
}


def cmd_readers(json: JsonOpt = False) -> None:
    """PC/SC のカードリーダーと、入っているカードを表示します"""
    with handled(json):
        readers = list_readers()
    data = {
        "readers": [
            {"name": r.name, "card_present": r.card_present, "atr": r.atr_hex} for r in readers
        ]
    }
    rows = [
        (r.name, f"カードあり（ATR {r.atr_hex}）" if r.card_present else "カードなし")
        for r in readers
    ]
    emit(
        data,
        json_mode=json,
        title="カードリーダー",
        rows=rows or [("", "カードリーダーが見つかりません。")],
    )


def _sign_password(sign: bool) -> str | None:
    if not sign:
        return None
    return os.environ.get(SIGN_PASSWORD_ENV) or typer.prompt(
        "署名用電子証明書のパスワード（英数字6〜16文字）", hide_input=True
    )


def _certificate_rows(label: str, info: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        (label, f"{format_japanese_with_western(info['not_after'])}まで有効"),
        ("  シリアル番号", info["serial"]),
        ("  発行者", info["issuer"]),
    ]
    if info["name"]:
        rows += [
            ("  氏名", info["name"]),
            ("  生年月日", format_japanese_with_western(info["birth"])),
            ("  性別", GENDER_LABELS[info["gender"]]),
            ("  住所", info["address"]),
        ]
    return rows


def cmd_show(
    reader: ReaderOpt = None,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help=f"署名用電子証明書も読みます（パスワードを尋ねます。環境変数 {SIGN_PASSWORD_ENV} でも可）",
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """カードリーダーのカードに入っている電子証明書を表示します（証明書表示ツール）"""
    with handled(json):
        password = _sign_password(sign)
        certificates: dict[str, dict[str, Any] | None] = {}
        with PcscReader(reader) as transport:
            card = JpkiCard(transport)
            name, atr = transport.name, transport.atr
            for slot, kind, is_ca in _SLOTS:
                if is_ca:
                    der = card.read_ca_certificate(kind)
                elif kind is CertKind.SIGN:
                    if password is None:
                        continue
                    try:
                        der = card.read_certificate(kind, sign_password=password)
                    except WrongPin as exc:  # R-PIN-2: say how many tries are left
                        fail(
                            exc.code,
                            "署名用電子証明書のパスワードが違います。"
                            f"あと {exc.tries_left} 回間違えるとロックされます。",
                            json_mode=json,
                            exit_code=EXIT_REFUSED,
                        )
                else:
                    der = card.read_certificate(kind)
                certificates[slot] = describe(load_certificate(der)) if der else None
    rows: list[tuple[str, str]] = [("カードリーダー", name), ("ATR", atr.hex(" ").upper())]
    for slot, info in certificates.items():
        if info is None:
            rows.append((_SLOT_LABELS[slot], "なし"))
        else:
            rows += _certificate_rows(_SLOT_LABELS[slot], info)
    notes = []
    if "sign" not in certificates:
        notes.append("署名用電子証明書はパスワードが必要です（--sign で読みます）。")
    emit(
        {"reader": name, "atr": atr.hex().upper(), "certificates": certificates},
        json_mode=json,
        title="カードの電子証明書",
        rows=rows,
        notes=notes,
    )


def _tries_text(kind: PinKind, left: int | None) -> str:
    if left is None:
        return "設定されていません"
    if left == 0:
        return "ロックされています（窓口で初期化が必要です）"
    return f"あと {left} 回（最大 {kind.max_tries} 回）"


def cmd_pin_status(reader: ReaderOpt = None, json: JsonOpt = False) -> None:
    """カードの暗証番号の残り回数を表示します（回数は減りません）"""
    with handled(json), PcscReader(reader) as transport:
        card = JpkiCard(transport)
        tries: dict[PinKind, int | None] = {}
        for kind in PinKind:
            try:
                tries[kind] = card.tries_left(kind)
            except PinNotSet:
                tries[kind] = None
        name = transport.name
    data = {
        "reader": name,
        "pins": {
            kind.value: {
                "set": left is not None,
                "tries_left": left,
                "max_tries": kind.max_tries,
                "locked": left == 0,
            }
            for kind, left in tries.items()
        },
    }
    rows = [("カードリーダー", name)] + [
        (kind.label, _tries_text(kind, left)) for kind, left in tries.items()
    ]
    emit(data, json_mode=json, title="暗証番号の残り回数", rows=rows)


def _pull_the_card(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_serve_vpcd(
    card_id: Annotated[str, typer.Argument(help="保管庫のカード番号（VC で始まる18文字）")],
    host: Annotated[str, typer.Option(help="vpcd の待ち受けアドレス")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="vpcd のポート（reader.conf の CHANNELID）")] = 35963,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """保管庫の仮想カードを仮想カードリーダー（vsmartcard の vpcd）に差し込みます"""
    from madoguchi.card.vpcd import serve

    # SIGTERM ends the session like a pulled card; the card was saved after every change
    signal.signal(signal.SIGTERM, _pull_the_card)
    with handled(json):
        vault = container(data_dir).vault
        card = vault.load(card_id)
        print(f"カード {card_id} を仮想カードリーダー {host}:{port} に差し込みます。", flush=True)
        try:
            count = serve(card, host=host, port=port, on_change=vault.save)
        except KeyboardInterrupt:
            count = None
    emit(
        {"card_id": card_id, "commands": count},
        json_mode=json,
        title="仮想カードリーダーからカードを抜きました",
        rows=[("カード", card_id)]
        + ([("処理したコマンド", str(count))] if count is not None else []),
    )


def build() -> typer.Typer:
    card = typer.Typer(help="カードリーダー（PC/SC）のマイナンバーカード", no_args_is_help=True)
    card.command("readers")(cmd_readers)
    card.command("show")(cmd_show)
    card.command("pin-status")(cmd_pin_status)
    card.command("serve-vpcd")(cmd_serve_vpcd)
    return card
