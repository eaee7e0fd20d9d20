"""`madoguchi backup` and `madoguchi restore`: the store, the CA keys, the card states, the
secrets and the notice batches in one encrypted archive (store/archive.py)."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, container, handled
from madoguchi.cli.output import emit
from madoguchi.services.errors import Refused

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
    from madoguchi.store.archive import create_backup

    with handled(json):
        c = container(data_dir)
        c.migrate()
        summary = create_backup(
            c.engine, c.settings.data_dir, out, _passphrase(True), datetime.now(UTC)
        )
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
    from madoguchi.store.archive import restore_backup

    with handled(json):
        c = container(data_dir)
        if not source.is_file():
            raise Refused("not_a_backup", f"no file {source}")
        c.migrate()
        counts = restore_backup(c.engine, c.settings.data_dir, source, _passphrase(False))
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
