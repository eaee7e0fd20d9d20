"""The periodic work from the command line (issue 19): `madoguchi ca publish-crls`,
`madoguchi registry move-in-deadline`, `madoguchi run-periodic` (all the jobs of
cli/schedule.py in one loop) and `madoguchi systemd-units` (the same jobs as systemd units)."""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, handled, with_ca
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit, to_json
from madoguchi.cli.schedule import BIN, JOBS, Job, Scheduler, units
from madoguchi.runtime import public_dir, publish
from madoguchi.services.audit import SYSTEM

log = logging.getLogger("madoguchi.periodic")


def _tmp(path: Path) -> Path:
    """Files are written beside their place and renamed: a server never serves half a CRL."""
    return path.with_name(f".{path.name}.tmp")


def cmd_publish_crls(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="書き出すディレクトリ（既定: 公開ディレクトリの crl/）"),
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """両方の認証局の CRL（全体と分割ごと）を新しく発行し、静的ファイルとして書き出します（定期実行用。ファイル名は /crl/ の URL と同じ）"""
    with handled(json):
        c = with_ca(data_dir)
        crls = c.crls
        target = out or c.settings.published / "crl"
        public_dir(target)
        written = []
        for kind in c.authorities:
            for partition in (None, *crls.partitions(kind)):
                name = kind.value if partition is None else f"{kind.value}-{partition}"
                path = target / f"{name}.crl"
                with _tmp(path).open("wb") as fh:
                    info = crls.publish(kind, fh, partition=partition)
                publish(_tmp(path)).replace(path)  # 0644: relying parties' server reads it
                written.append(
                    {
                        "file": path.name,
                        "crl_number": info.crl_number,
                        "entries": info.entry_count,
                        "bytes": info.size,
                        "next_update": info.next_update,
                    }
                )
    emit(
        {"directory": str(target), "crls": written},
        json_mode=json,
        title="CRL を発行しました",
        rows=[("ディレクトリ", str(target))]
        + [
            (str(w["file"]), f"CRL 番号 {w['crl_number']}、失効 {w['entries']} 件") for w in written
        ],
    )


def cmd_move_in_deadline(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """転出予定日から30日を過ぎても転入の届出がない方の利用者証明用電子証明書を失効させます（R-REV-2、毎日実行）"""
    with handled(json):
        outcomes = with_ca(data_dir).registry.overdue_move_ins(SYSTEM)
    revoked = [
        {"resident_id": o.resident.id, "kind": r.kind.value, "serial": r.serial_hex}
        for o in outcomes
        for r in o.revoked
    ]
    emit(
        {"revoked": revoked},
        json_mode=json,
        title="転入期限の確認（R-REV-2）",
        rows=[("失効させた証明書", f"{len(revoked)} 件")]
        + [(r["resident_id"], f"{r['kind']} {r['serial']}") for r in revoked],
    )


def _run_job(job: Job, *, json_mode: bool = False) -> int:
    """One job in a process of its own, as systemd runs it; its result logged, and a line
    for people (on stderr with --json, whose stdout is the one JSON object)."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "madoguchi", *job.args],
            capture_output=True,
            text=True,
            check=False,
            timeout=job.timeout.total_seconds(),
            env=os.environ.copy(),
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = 124, "", "timeout"
    seconds = round(time.monotonic() - started, 2)
    try:
        result = json.loads(out) if out.strip() else None
    except ValueError:
        result = None
    level = logging.INFO if code == 0 else logging.ERROR
    log.log(
        level,
        "periodic job %s exited %d after %.2f s",
        job.name,
        code,
        seconds,
        extra={"job": job.name, "exit_code": code, "seconds": seconds, "result": result},
    )
    status = "成功" if code == 0 else f"失敗（終了コード {code}）"
    people = sys.stderr if json_mode else sys.stdout
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {job.name}: {status}", file=people)
    if code != 0 and err.strip():
        print(err.strip().splitlines()[-1], file=sys.stderr)
    people.flush()
    return code


def _select(only: list[str] | None) -> list[Job]:
    if not only:
        return list(JOBS)
    names = {j.name for j in JOBS}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise CliInputError(
            "invalid_choice", "--only には次のいずれかを指定してください: " + ", ".join(names)
        )
    return [j for j in JOBS if j.name in only]


def cmd_run_periodic(
    once: Annotated[
        bool, typer.Option("--once", help="すべての処理を今すぐ1回ずつ実行して終了します")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="この処理だけ（複数指定可）")
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """定期処理（CRL の発行、OCSP 応答の書き出し、監査ログのチェックポイント、転入期限、発行依頼の照合、バックアップ）を systemd のタイマーと同じ予定で実行し続けます（systemd のない環境用）"""
    with handled(json):
        jobs = _select(only)
        if data_dir is not None:
            os.environ["MADOGUCHI_DATA_DIR"] = str(data_dir.resolve())
        run = functools.partial(_run_job, json_mode=json)
        scheduler = Scheduler(jobs, run, lambda: datetime.now(UTC), time.sleep)
        if once:
            ran = scheduler.run_once()
            failed = [r.job for r in ran if r.exit_code != 0]
            if json:
                print(to_json({"ran": [r.job for r in ran], "failed": failed}))
            if failed:
                sys.exit(1)
            return
        for job in jobs:
            print(f"{job.name}: {job.when.describe()}", flush=True)
        scheduler.run()


def cmd_systemd_units(
    out: Annotated[Path, typer.Option("--out", help="書き出すディレクトリ")],
    binary: Annotated[str, typer.Option("--bin", help="madoguchi コマンドの絶対パス")] = BIN,
    json: JsonOpt = False,
) -> None:
    """定期処理とサービスの systemd ユニット（.service と .timer）を書き出します"""
    with handled(json):
        if not binary.startswith("/"):
            raise CliInputError("invalid_path", "--bin には絶対パスを指定してください。")
        out.mkdir(parents=True, exist_ok=True)
        files = units(binary)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    emit(
        {"directory": str(out), "units": sorted(files)},
        json_mode=json,
        title="systemd のユニットを書き出しました",
        rows=[("ディレクトリ", str(out)), ("ユニット", f"{len(files)} 個")],
    )


def build_registry() -> typer.Typer:
    app = typer.Typer(help="住民基本台帳の異動に伴う処理", no_args_is_help=True)
    app.command("move-in-deadline")(cmd_move_in_deadline)
    from madoguchi.cli.moves_cmd import register_registry

    register_registry(app)
    return app
