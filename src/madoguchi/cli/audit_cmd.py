"""`madoguchi audit verify`: walk the hash chain and report the first broken link."""

from __future__ import annotations

import sys

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, container, handled
from madoguchi.cli.output import emit
from madoguchi.services.audit import verify_chain


def cmd_verify(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """監査ログのハッシュチェーンを検証します（改ざんがあれば終了コード1）"""
    with handled(json):
        c = container(data_dir)
        c.migrate()
        with c.uow() as uow:
            report = verify_chain(uow.counter.audit_entries())
    data = {
        "ok": report.ok,
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
            ("結果", "正常" if report.ok else "改ざんを検出"),
            ("検証した件数", str(report.checked)),
        ],
        notes=[report.message],
    )
    if not report.ok:
        sys.exit(1)


def build() -> typer.Typer:
    app = typer.Typer(help="監査ログ", no_args_is_help=True)
    app.command("verify")(cmd_verify)
    return app
