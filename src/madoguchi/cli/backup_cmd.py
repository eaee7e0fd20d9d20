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
from madoguchi.services.operations import write_backup_marker

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


PREFIX, SUFFIX = "madoguchi-", ".backup"


def _prune(directory: Path, keep: int) -> list[str]:
    """Remove the oldest dated backups of ``directory`` beyond the newest ``keep``."""
    dated = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))
    gone = dated[: max(0, len(dated) - keep)]
    for path in gone:
        path.unlink()
    return [p.name for p in gone]


def cmd_backup(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="バックアップのファイル（暗号化されます）。省略すると日時つきの名前でバックアップ用ディレクトリに作り、古いものを保存数まで削除します",
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """データベース・認証局の鍵・カード・秘密情報・通知書の印刷単位を1つのファイルに保存します"""
    removed: list[str] = []
    with handled(json):
        c = container(data_dir)
        now = c.clock()
        target = out or c.settings.backups / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
        target.parent.mkdir(parents=True, exist_ok=True)
        summary = c.backup(target, _passphrase(True))
        # when, for the metrics (madoguchi_backup_age_seconds): no secret in it
        write_backup_marker(c.settings.state_dir, now, summary.path.stat().st_size, summary.sha256)
        if out is None:
            removed = _prune(target.parent, c.settings.backup_keep)
    rows = sum(summary.tables.values())
    emit(
        {
            "file": str(summary.path),
            "tables": summary.tables,
            "files": summary.files,
            "sha256": summary.sha256,
            "removed": removed,
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
