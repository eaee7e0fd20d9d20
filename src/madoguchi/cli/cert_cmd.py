"""`madoguchi cert show` (証明書表示ツール) and `madoguchi testcard issue`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from madoguchi.cli.common import (
    DataDirOpt,
    DateOpt,
    JsonOpt,
    OptDateOpt,
    handled,
    parse_date,
    parse_optional_date,
    with_ca,
)
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.messages import japanese_of
from madoguchi.pki.errors import PkiError, UnsupportedCharacter
from madoguchi.pki.facts import GENDER_LABELS, HolderFacts
from madoguchi.rules.dates import format_japanese_with_western, jst_date


def cmd_show(
    file: Annotated[Path, typer.Argument(help="電子証明書のファイル（PEM または DER）")],
    json: JsonOpt = False,
) -> None:
    """電子証明書の内容を表示します（証明書表示ツール）"""
    with handled(json):
        try:
            data = file.read_bytes()
        except OSError:
            raise PkiError("file_missing", f"cannot read {file}") from None
        from madoguchi.services.certview import describe, load_certificate

        info = describe(load_certificate(data))
    rows = [
        ("種類", info["kind_label"]),
        ("シリアル番号", info["serial"]),
        (
            "有効期間",
            f"{format_japanese_with_western(info['not_before'])} 〜 "
            f"{format_japanese_with_western(info['not_after'])}",
        ),
        ("発行者", info["issuer"]),
    ]
    if info["name"]:
        rows += [
            ("氏名", info["name"]),
            ("氏名の代替文字", substitutes_text(info["name_positions"], info["name_substituted"])),
            ("生年月日", format_japanese_with_western(info["birth"])),
            ("性別", GENDER_LABELS[info["gender"]]),
            ("住所", info["address"]),
            (
                "住所の代替文字",
                substitutes_text(info["address_positions"], info["address_substituted"]),
            ),
        ]
    emit(info, json_mode=json, title="電子証明書の内容", rows=rows)


def substitutes_text(positions: str | None, marked: list[dict[str, Any]] | None) -> str:
    """R-X509-2: which characters of the field are substitutes (代替文字), read from its
    position field: 「1文字目「高」（位置情報 10000）」."""
    if positions is None:
        return "（位置情報の欄がありません）"
    if marked is None:
        return f"（位置情報が文字数と合いません: {positions}）"
    if not marked:
        return f"なし（位置情報 {positions}）"
    chars = "、".join(f"{m['index'] + 1}文字目「{m['character']}」" for m in marked)
    return f"{chars}（位置情報 {positions}）"


def cmd_testcard_issue(
    name: Annotated[str, typer.Option(help="氏名（姓と名の間は空白）")],
    birth: DateOpt,
    gender: Annotated[str, typer.Option(help="1（男）/ 2（女）/ 3（不明）")],
    address: Annotated[str, typer.Option(help="住所")],
    out: Annotated[
        Path, typer.Option("--out", help="sign.pem、auth.pem とカードを書き出すディレクトリ")
    ],
    card_expiry: OptDateOpt = None,
    sign_password: Annotated[
        str, typer.Option(help="署名用パスワード（英数字6〜16文字）")
    ] = "TEST1234",
    auth_pin: Annotated[str, typer.Option(help="利用者証明用暗証番号（数字4桁）")] = "1234",
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """依拠者（サービス事業者）の試験用に、電子証明書入りの仮想カードを作ります"""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    with handled(json):
        facts = HolderFacts.create(name, gender, parse_date(birth, "--birth"), address)
        expires = parse_optional_date(card_expiry, "--card-expiry")
        c = with_ca(data_dir)
        try:
            card = c.testcards.issue(
                facts=facts,
                card_expires=expires,
                sign_password=sign_password,
                auth_pin=auth_pin,
            )
        except UnsupportedCharacter as exc:  # R-X509-2: bad input, naming the character
            raise CliInputError(exc.code, japanese_of(exc)) from None
        out.mkdir(parents=True, exist_ok=True)
        files = {}
        for kind, record in (("sign", card.sign), ("auth", card.auth)):
            if record is not None:
                pem = x509.load_der_x509_certificate(record.der).public_bytes(Encoding.PEM)
                (out / f"{kind}.pem").write_bytes(pem)
                files[kind] = str(out / f"{kind}.pem")
        card_file = out / f"{card.card_id}.card"
        card_file.write_bytes(c.vault.path_of(card.card_id).read_bytes())
        files["card"] = str(card_file)
    data = {
        "card_id": card.card_id,
        "card_expiry": card.card_expiry,
        "sign_serial": card.sign.serial_hex if card.sign else None,
        "auth_serial": card.auth.serial_hex,
        "sign_expires_on": jst_date(card.sign.not_after) if card.sign else None,
        "auth_expires_on": jst_date(card.auth.not_after),
        "files": files,
    }
    emit(
        data,
        json_mode=json,
        title="試験用カードを作成しました",
        rows=[
            ("カード", card.card_id),
            (
                "署名用電子証明書",
                f"{data['sign_serial']}（{data['sign_expires_on']}まで）"
                if card.sign
                else "なし（15歳未満）",
            ),
            ("利用者証明用電子証明書", f"{data['auth_serial']}（{data['auth_expires_on']}まで）"),
        ],
    )


def build_cert() -> typer.Typer:
    cert = typer.Typer(help="電子証明書の表示", no_args_is_help=True)
    cert.command("show")(cmd_show)
    return cert


def build_testcard() -> typer.Typer:
    testcard = typer.Typer(help="試験用カード", no_args_is_help=True)
    testcard.command("issue")(cmd_testcard_issue)
    return testcard
