"""`madoguchi notices plan|dispatch|pause|resume|status|returned` (expiry-notice campaigns,
SPEC.md §6; services/notices.py)."""

from __future__ import annotations

import getpass
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from madoguchi.cli.common import (
    DataDirOpt,
    JsonOpt,
    handled,
    parse_optional_date,
    with_ca,
    with_store,
)
from madoguchi.cli.output import emit
from madoguchi.rules.dates import format_japanese
from madoguchi.rules.notices import NoticeState
from madoguchi.services.audit import Actor

if TYPE_CHECKING:
    from madoguchi.services.notices import NoticeService

HELP = "有効期限通知書の送付（計画・送付・一時停止・再開・状況）"
NATIONAL_HELP = (
    "認証局の運用者が送る有効期限通知書（全市区町村の所持者。計画・送付・一時停止・再開・状況）"
)
CampaignOpt = Annotated[str, typer.Option("--campaign", help="送付計画の番号（例: 2027-01）")]
STATE_LABELS = {
    "planned": "送付予定",
    "deferred": "送付保留（一時停止中）",
    "sent": "送付済み",
    "suppressed": "送付取りやめ",
    "returned": "返戻（あて所不明など）",
}


#: set by `madoguchi ca notices`: the CA operator's campaigns across every municipality
_NATIONAL: ContextVar[bool] = ContextVar("national_notices", default=False)


def _service(data_dir: Path | None) -> NoticeService:
    """The counter's campaigns (`madoguchi notices`) or the CA operator's (`madoguchi ca
    notices`, R-NAT-2: on the CA service's data directory)."""
    if _NATIONAL.get():
        return with_ca(data_dir).national_notices
    return with_store(data_dir).notices


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}"[:64], "main", "cli")


def cmd_plan(
    window_from: Annotated[
        str | None, typer.Option("--from", help="対象とする有効期限の初日（既定: 2か月後）")
    ] = None,
    window_to: Annotated[
        str | None, typer.Option("--to", help="対象とする有効期限の末日（既定: 3か月後）")
    ] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="送付計画の番号")] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """有効期限が近い電子証明書・カードの通知書を計画します（1人1通、番号つき）"""
    with handled(json):
        first = parse_optional_date(window_from, "--from")
        last = parse_optional_date(window_to, "--to")
        svc = _service(data_dir)
        window = (first, last) if first and last else None
        result = svc.plan(_actor(), window=window, campaign_id=campaign)
    cp = result.campaign
    emit(
        {
            "campaign": cp.id,
            "window_from": cp.window_from,
            "window_to": cp.window_to,
            "state": cp.state,
            "planned": result.planned,
            "already_planned": result.already,
        },
        json_mode=json,
        title="通知書の送付計画",
        rows=[
            ("送付計画", cp.id),
            (
                "対象の有効期限",
                f"{format_japanese(cp.window_from)} 〜 {format_japanese(cp.window_to)}",
            ),
            ("今回計画した通知書", f"{result.planned} 通"),
            ("計画済み", f"{result.already} 通"),
            ("状態", "一時停止中（送付保留）" if cp.state == "paused" else "送付できます"),
        ],
    )


def cmd_dispatch(
    campaign: CampaignOpt,
    batch_size: Annotated[int, typer.Option(help="1回の印刷単位の通数", min=1)] = 500,
    max_batches: Annotated[int | None, typer.Option(help="今回作る印刷単位の上限", min=1)] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """通知書を印刷単位（PDF と CSV）にまとめて送付します。直前に更新・転出・死亡を確認します"""
    with handled(json):
        svc = _service(data_dir)
        _, counts, _ = svc.status(campaign)
        total = counts.get("planned", 0)
        with Progress(
            TextColumn("[bold]送付"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=json,
            transient=True,
        ) as bar:
            task = bar.add_task("dispatch", total=total or None)
            result = svc.dispatch(
                campaign,
                _actor(),
                batch_size=batch_size,
                max_batches=max_batches,
                progress=lambda n: bar.advance(task, n),
            )
        files = [str(svc.batch_files(b)[0]) for b in result.batches]
    emit(
        {
            "campaign": campaign,
            "paused": result.paused,
            "sent": result.sent,
            "suppressed": result.suppressed,
            "batches": [
                {
                    "id": b.id,
                    "notices": b.notices,
                    "pages": b.pages,
                    "pdf": f,
                    "sha256": b.pdf_sha256,
                }
                for b, f in zip(result.batches, files, strict=True)
            ],
        },
        json_mode=json,
        title="通知書の送付",
        rows=[
            ("送付計画", campaign),
            ("結果", "一時停止中のため送付しませんでした" if result.paused else "送付しました"),
            ("送付した通知書", f"{result.sent} 通"),
            ("送付を取りやめた通知書", f"{result.suppressed} 通（更新済み・転出・死亡など）"),
            *[
                (f"印刷単位 {b.id}", f"{b.notices} 通、{f}")
                for b, f in zip(result.batches, files, strict=True)
            ],
        ],
    )


def cmd_pause(campaign: CampaignOpt, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """送付を一時停止します（計画は続き、送付予定の通知書は保留になります）"""
    with handled(json):
        moved = _service(data_dir).pause(campaign, _actor())
    emit(
        {"campaign": campaign, "deferred": moved},
        json_mode=json,
        title="送付の一時停止",
        rows=[("送付計画", campaign), ("保留にした通知書", f"{moved} 通")],
    )


def cmd_resume(campaign: CampaignOpt, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """送付を再開します（保留の通知書は有効期限の順に送付。更新済みの方には送りません）"""
    with handled(json):
        moved = _service(data_dir).resume(campaign, _actor())
    emit(
        {"campaign": campaign, "resumed": moved},
        json_mode=json,
        title="送付の再開",
        rows=[("送付計画", campaign), ("送付予定に戻した通知書", f"{moved} 通")],
    )


def cmd_status(
    campaign: Annotated[str | None, typer.Option("--campaign", help="送付計画の番号")] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """送付計画の状況（状態ごとの通数、印刷単位）を表示します"""
    with handled(json):
        svc = _service(data_dir)
        ids = [campaign] if campaign else [cp.id for cp in svc.campaigns()]
        out = []
        for cid in ids:
            cp, counts, batches = svc.status(cid)
            out.append((cp, counts, batches))
    rows: list[tuple[str, str]] = []
    for cp, counts, batches in out:
        rows.append((f"送付計画 {cp.id}", "一時停止中" if cp.state == "paused" else "送付できます"))
        for state in NoticeState:
            if counts.get(state.value):
                rows.append((f"  {STATE_LABELS[state.value]}", f"{counts[state.value]} 通"))
        rows.append(
            ("  印刷単位", f"{len(batches)}（未完了 {sum(b.state == 'open' for b in batches)}）")
        )
    emit(
        {
            "campaigns": [
                {
                    "id": cp.id,
                    "state": cp.state,
                    "window_from": cp.window_from,
                    "window_to": cp.window_to,
                    "counts": counts,
                    "batches": [
                        {"id": b.id, "state": b.state, "notices": b.notices, "pages": b.pages}
                        for b in batches
                    ],
                }
                for cp, counts, batches in out
            ]
        },
        json_mode=json,
        title="通知書の送付状況",
        rows=rows or [("送付計画", "ありません")],
    )


def cmd_returned(
    number: Annotated[str, typer.Argument(help="返戻された通知書の番号")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """あて所不明などで返戻された通知書を記録します（窓口の確認リストに載ります）"""
    with handled(json):
        notice = _service(data_dir).record_returned(number, _actor())
    emit(
        {"number": notice.number, "state": notice.state.value},
        json_mode=json,
        title="返戻の記録",
        rows=[("通知書", notice.number), ("状態", STATE_LABELS[notice.state.value])],
    )


def cmd_handover(
    batch: Annotated[str, typer.Argument(help="印刷単位の番号（例: 2027-02-B0001）")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """印刷業者が印刷単位（PDFとCSV）を受け取ったことを記録します（これで郵送済みになります）"""
    with handled(json):
        done = _service(data_dir).hand_over(batch, _actor())
    emit(
        {"batch": done.id, "state": done.state.value, "notices": done.notices},
        json_mode=json,
        title="印刷業者への引き渡しの記録",
        rows=[("印刷単位", done.id), ("通数", str(done.notices)), ("状態", done.state.label)],
    )


def build(national: bool = False) -> typer.Typer:
    """``madoguchi notices`` (the counter's residents), or with ``national`` ``madoguchi ca
    notices`` (the CA operator's records of every municipality's holders, R-NAT-2)."""
    app = typer.Typer(help=NATIONAL_HELP if national else HELP, no_args_is_help=True)
    if national:

        @app.callback()
        def national_campaigns() -> None:
            _NATIONAL.set(True)

    app.command("plan")(cmd_plan)
    app.command("dispatch")(cmd_dispatch)
    app.command("pause")(cmd_pause)
    app.command("resume")(cmd_resume)
    app.command("status")(cmd_status)
    app.command("handover")(cmd_handover)
    app.command("returned")(cmd_returned)
    return app
