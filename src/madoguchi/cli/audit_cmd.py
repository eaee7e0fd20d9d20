"""`madoguchi audit verify`: walk the hash chain and report the first broken link."""

from __future__ import annotations

import sys

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, handled, with_store
from madoguchi.cli.output import emit


def cmd_verify(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """監査ログのハッシュチェーンを検証します（改ざんがあれば終了コード1）"""
    with handled(json):
        c = with_store(data_dir)
        report = c.views.audit_chain()
        checkpoints = c.checkpoints.verify()
    ok = report.ok and checkpoints.ok
    data = {
        "ok": ok,
        "chain_ok": report.ok,
        "checkpoints_ok": checkpoints.ok,
        "checkpoints": checkpoints.checked,
        "checkpoint_problem": checkpoints.problem,
        "checked": report.checked,
        "broken_at": report.broken_at,
        "problem": report.problem,
        "message": report.message,
    }
    emit(
        data,
        json_mode=json,
        title="監査ログの検証",
        rows=[
            ("結果", "正常" if ok else "改ざんを検出"),
            ("検証した件数", str(report.checked)),
            ("チェックポイント", str(checkpoints.checked)),
        ],
        notes=[report.message, checkpoints.message],
    )
    if not ok:
        sys.exit(1)


def cmd_checkpoint(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """監査ログの最新の記録に署名したチェックポイントを作ります（cron で定期的に実行）"""
    with handled(json):
        cp = with_store(data_dir).checkpoints.make()
    emit(
        {"seq": cp.seq if cp else None, "hash": cp.hash if cp else None, "made": cp is not None},
        json_mode=json,
        title="監査ログのチェックポイント",
        rows=[("結果", f"{cp.seq} 番目の記録に署名しました" if cp else "新しい記録はありません")],
    )


def build() -> typer.Typer:
    app = typer.Typer(help="監査ログ", no_args_is_help=True)
    app.command("verify")(cmd_verify)
    app.command("checkpoint")(cmd_checkpoint)
    return app
