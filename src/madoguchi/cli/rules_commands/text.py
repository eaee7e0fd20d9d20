"""`rules pin`, `rules date`, `rules chars`: PINs, era dates and the characters of the signing
certificate (R-PIN-1, R-DATE-5, R-X509-2)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from madoguchi.cli.common import JsonOpt, handled, parse_date
from madoguchi.cli.output import emit
from madoguchi.cli.rules_commands.shared import exit_refused
from madoguchi.rules.chars import certificate_text, describe_character
from madoguchi.rules.dates import format_japanese, jpki_birth_field
from madoguchi.rules.pins import PinKind, check_pin


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


def cmd_chars(
    text: Annotated[str, typer.Argument(help="氏名や住所（署名用電子証明書に書く文字列）")],
    json: JsonOpt = False,
) -> None:
    """署名用電子証明書に書ける文字か、代替文字とその位置（R-X509-2）。代替文字のない文字があれば終了コード1"""
    result = certificate_text(text)
    data = {
        "in_charset": result.in_charset,
        "text": result.text,
        "positions": result.positions,
        "unknown": list(result.unknown),
        "substitutions": [
            {"index": s.index, "original": s.original, "substitute": s.substitute}
            for s in result.substitutions
        ],
    }
    if result.unknown:
        verdict = "書けません（代替文字のない文字があります）"
    elif result.in_charset:
        verdict = "そのまま書けます（JIS X 0208・JIS X 0212 の文字だけです）"
    else:
        verdict = "代替文字に置き換えて書きます"
    rows = [
        ("判定", verdict),
        ("証明書での表記", result.text or "（空）"),
        ("代替文字の位置", result.positions or "（空）"),
    ]
    for s in result.substitutions:
        rows.append(
            (f"{s.index + 1}文字目", f"{describe_character(s.original)} → 「{s.substitute}」")
        )
    notes = [
        f"{describe_character(ch)} には代替文字がありません。住民票の代替文字（またはかな）で入力してください。"
        for ch in result.unknown
    ]
    emit(data, json_mode=json, title="署名用電子証明書の文字", rows=rows, notes=notes)
    exit_refused(bool(result.unknown))
