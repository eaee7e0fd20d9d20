"""`madoguchi backup` and `madoguchi restore`: the store, the CA keys, the card states, the
secrets and the notice batches in one encrypted archive (store/archive.py)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, container, handled
from madoguchi.cli.output import emit
from madoguchi.services.domain import Refused

ENV = "MADOGUCHI_BACKUP_PASSPHRASE"


def _passphrase(confirm: bool) -> bytes:
    value = os.environ.get(ENV)
    if value:
        return value.encode()
    if not sys.stdin.isatty():
        raise Refused("backup_passphrase_missing", f"set {ENV}")
    first = getpass.getpass("バックアップのパスフレーズ: ")
    if confirm and first != getpass.getpass("もう一度: "):
        raise Refused("backup_passphrase", "the two entries differ")
    return first.encode()


def cmd_backup(
    out: Annotated[Path, typer.Option("--out", help="バックアップのファイル（暗号化されます）")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """データベース・認証局の鍵・カード・秘密情報・通知書の印刷単位を1つのファイルに保存します"""
    with handled(json):
        summary = container(data_dir).backup(out, _passphrase(True))
    rows = sum(summary.tables.values())
    emit(
        {
            "file": str(summary.path),
            "tables": summary.tables,
            "files": summary.files,
            "sha256": summary.sha256,
        },
        json_mode=json,
        title="バックアップを作成しました",
        rows=[
            ("ファイル", str(summary.path)),
            ("データベースの行", f"{rows} 行"),
            ("ファイル", f"{summary.files} 個"),
            ("SHA-256", summary.sha256),
        ],
    )


def cmd_restore(
    source: Annotated[Path, typer.Option("--from", help="バックアップのファイル")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """バックアップを新しいデータディレクトリ（空のデータベース）に復元します"""
    with handled(json):
        c = container(data_dir)
        if not source.is_file():
            raise Refused("not_a_backup", f"no file {source}")
        counts = c.restore(source, _passphrase(False))
    emit(
        {"data_dir": str(c.settings.data_dir), "tables": counts},
        json_mode=json,
        title="バックアップを復元しました",
        rows=[
            ("データディレクトリ", str(c.settings.data_dir)),
            ("データベースの行", f"{sum(counts.values())} 行"),
        ],
        notes=["`madoguchi audit verify` で監査ログを確認してください。"],
    )
