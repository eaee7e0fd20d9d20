"""`madoguchi ca …`, `madoguchi db …` and `madoguchi serve`."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, container, handled, with_ca
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.rules.dates import format_japanese_with_western, jst_date
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.runtime import public_dir, publish, uvicorn_log_config

KindOpt = Annotated[CertKind, typer.Option("--kind", help="sign（署名用）/ auth（利用者証明用）")]


def cmd_init(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """署名用・利用者証明用の2つの認証局を作成します（既存の認証局は上書きしません）"""
    with handled(json):
        c = container(data_dir)
        c.init_ca()
        authorities = c.start().authorities
    rows, data = [], {"data_dir": str(c.settings.data_dir), "authorities": {}}
    for kind, auth in authorities.items():
        data["authorities"][kind.value] = {  # type: ignore[index]
            "subject": auth.cert.subject.rfc4514_string(),
            "serial": f"{auth.cert.serial_number:x}",
            "not_after": jst_date(auth.cert.not_valid_after_utc),
            "sha256": auth.fingerprint(),
            "responder_not_after": auth.responder_cert.not_valid_after_utc,
        }
        rows.append((kind.label + "の認証局", auth.cert.subject.rfc4514_string()))
        rows.append(
            ("　有効期限", format_japanese_with_western(jst_date(auth.cert.not_valid_after_utc)))
        )
    emit(data, json_mode=json, title="認証局を作成しました", rows=rows)


def cmd_export(
    out: Annotated[Path, typer.Option("--out", help="書き出すディレクトリ")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """認証局の証明書を sign-ca.pem と auth-ca.pem に書き出します"""
    from cryptography.hazmat.primitives.serialization import Encoding

    with handled(json):
        authorities = with_ca(data_dir).authorities
        public_dir(out)
        files = {}
        for kind, auth in authorities.items():
            path = out / f"{kind.value}-ca.pem"
            path.write_bytes(auth.cert.public_bytes(Encoding.PEM))
            publish(path)
            files[kind.value] = str(path)
    emit(
        {"files": files},
        json_mode=json,
        title="認証局の証明書を書き出しました",
        rows=list(files.items()),
    )


def _serial(value: str) -> int:
    text = value.lower().removeprefix("0x").replace(":", "")
    try:
        serial = int(text, 16)
    except ValueError:
        raise CliInputError(
            "invalid_serial", f"シリアル番号「{value}」は16進数で指定してください。"
        ) from None
    if serial <= 0:
        raise CliInputError("invalid_serial", "シリアル番号は正の数です。")
    return serial


_REASONS = {r.rfc_name: r for r in RevocationReason if r is not RevocationReason.REMOVE_FROM_CRL}


def cmd_revoke(
    kind: KindOpt,
    serial: Annotated[str, typer.Option("--serial", help="シリアル番号（16進）")],
    reason: Annotated[
        str, typer.Option("--reason", help="失効理由（RFC 5280 の名前: keyCompromise など）")
    ] = "unspecified",
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """電子証明書を失効させます（OCSP はすぐに revoked と答えます）"""
    with handled(json):
        if reason not in _REASONS:
            raise CliInputError(
                "invalid_choice",
                "--reason には次のいずれかを指定してください: " + ", ".join(_REASONS),
            )
        number = _serial(serial)
        ca = with_ca(data_dir).ca
        if _REASONS[reason] is RevocationReason.CERTIFICATE_HOLD:
            record = ca.hold(kind, number)
        else:
            record = ca.revoke(kind, number, _REASONS[reason])
    data = {
        "kind": kind.value,
        "serial": record.serial_hex,
        "status": record.status.value,
        "reason": record.reason.rfc_name if record.reason is not None else None,
        "revoked_at": record.status_changed_at,
    }
    emit(
        data,
        json_mode=json,
        title=f"{kind.label}を失効させました",
        rows=[
            ("シリアル番号", record.serial_hex),
            ("状態", record.status.value),
            ("理由", data["reason"] or ""),
        ],
    )


def cmd_show(
    kind: KindOpt,
    serial: Annotated[str, typer.Option("--serial", help="シリアル番号（16進）")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """認証局の記録にある電子証明書の状態と、発行・失効を依頼した市区町村を表示します"""
    from madoguchi.pki.errors import UnknownCertificate

    with handled(json):
        number = _serial(serial)
        record = with_ca(data_dir).ca.certificate(kind, number)
        if record is None:
            raise UnknownCertificate(kind.value, number)
    data = {
        "kind": kind.value,
        "serial": record.serial_hex,
        "status": record.status.value,
        "reason": record.reason.rfc_name if record.reason is not None else None,
        "status_changed_at": record.status_changed_at,
        "not_before": record.not_before,
        "not_after": record.not_after,
        "card_id": record.card_id,
        "municipality": record.municipality,
        "status_municipality": record.status_municipality,
    }
    emit(
        data,
        json_mode=json,
        title=f"{kind.label}（認証局の記録）",
        rows=[
            ("シリアル番号", record.serial_hex),
            ("状態", record.status.value),
            ("有効期限", format_japanese_with_western(jst_date(record.not_after))),
            ("発行を依頼した団体", record.municipality or "（認証局の運用者）"),
            ("状態の変更を依頼した団体", record.status_municipality or ""),
        ],
    )


def cmd_crl(
    kind: KindOpt,
    out: Annotated[Path, typer.Option("--out", help="書き出す CRL ファイル（DER）")],
    partition: Annotated[
        int | None, typer.Option("--partition", min=0, help="分割 CRL の番号")
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """失効リスト（CRL）を DER で書き出します"""
    with handled(json):
        crls = with_ca(data_dir).crls
        public_dir(out.parent)
        tmp = out.with_suffix(out.suffix + ".tmp")
        with tmp.open("wb") as fh:
            info = crls.publish(kind, fh, partition=partition)
        publish(tmp).replace(out)
    data = {
        "kind": kind.value,
        "file": str(out),
        "crl_number": info.crl_number,
        "entries": info.entry_count,
        "this_update": info.this_update,
        "next_update": info.next_update,
        "sha256": info.sha256,
        "partition": partition,
    }
    emit(
        data,
        json_mode=json,
        title="CRL を書き出しました",
        rows=[
            ("ファイル", str(out)),
            ("CRL 番号", str(info.crl_number)),
            ("失効件数", str(info.entry_count)),
        ],
    )


MANIFEST = ".madoguchi-ocsp-export"


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Replace the file atomically unless it holds these bytes already (a CDN or a server's
    ETag keeps seeing an unchanged answer as unchanged)."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    publish(tmp).replace(path)
    return True


def cmd_export_ocsp(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="書き出すディレクトリ（既定: 公開ディレクトリの ocsp/）"),
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """署名済みの OCSP 応答を、有効な証明書ごとに静的ファイルとして書き出します（ファイル名は RFC 5019 の GET のパス。nginx や CDN で配信できます）"""
    from madoguchi.services.ocsp_export import static_answers

    with handled(json):
        c = with_ca(data_dir)
        out = out or c.settings.published / "ocsp"
        public_dir(out)
        manifest = out / MANIFEST
        before = set(manifest.read_text().split()) if manifest.exists() else set()
        names: set[str] = set()
        written = unchanged = 0
        per_kind = {kind.value: 0 for kind in c.authorities}
        for answer in static_answers(c.ocsp, c.ocsp_reader):
            if answer.name not in names:
                per_kind[answer.kind.value] += 1
            names.add(answer.name)
            if _write_if_changed(out / answer.name, answer.der):
                written += 1
            else:
                unchanged += 1
        removed = 0
        for name in before - names:  # certificates expired since the last export
            if (out / name).is_file():
                (out / name).unlink()
                removed += 1
        tmp = out / f".{MANIFEST}.tmp"
        tmp.write_text("".join(f"{name}\n" for name in sorted(names)))
        publish(tmp).replace(manifest)
    data = {
        "directory": str(out),
        "answers": len(names),
        "by_kind": per_kind,
        "written": written,
        "unchanged": unchanged,
        "removed": removed,
    }
    emit(
        data,
        json_mode=json,
        title="OCSP 応答を書き出しました",
        rows=[
            ("ディレクトリ", str(out)),
            (
                "応答の数",
                f"{len(names)}（署名用 {per_kind.get('sign', 0)}、利用者証明用 "
                f"{per_kind.get('auth', 0)}）",
            ),
            ("更新したファイル", str(written)),
            ("変更なし", str(unchanged)),
            ("削除（期限切れ）", str(removed)),
        ],
    )


def cmd_db_upgrade(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """データベースを最新のスキーマにします"""
    with handled(json):
        c = container(data_dir)
        c.migrate()
    emit(
        {"database": c.settings.db_url.split("@")[-1], "revision": "head"},
        json_mode=json,
        title="データベースを更新しました",
        rows=[],
    )


WORKER_HEALTHCHECK_SECONDS = 60


def cmd_serve(
    host: Annotated[str, typer.Option(help="待ち受けるアドレス")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="ポート番号", min=1, max=65535)] = 8080,
    workers: Annotated[
        int, typer.Option(help="ワーカープロセス数（CPU コア数まで。既定 1）", min=1)
    ] = 1,
    data_dir: DataDirOpt = None,
) -> None:
    """HTTP サービスを起動します（窓口の画面 /staff/、公開ページ /、API /api/v1、/ocsp、/crl）"""
    import uvicorn

    from madoguchi.web.app import create_app

    with handled(False):
        c = with_ca(data_dir)  # migrations, the CAs, a responder renewed: once, here
        app = create_app(c) if workers == 1 else None
    from madoguchi.cli.reconcile_cmd import start_reconciler

    start_reconciler(c, timedelta(seconds=c.settings.reconcile_seconds))  # issue 17
    print(f"madoguchi: http://{host}:{port}/ （Ctrl+C で停止）", flush=True)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "log_config": uvicorn_log_config("warning"),  # escapes control characters
    }
    if app is not None:
        uvicorn.run(app, **options)
        return
    # several processes: each imports the application and builds it from the environment;
    # they count their metrics together in files of one directory (observability/metrics.py)
    from madoguchi.observability.metrics import worker_metrics_dir

    os.environ["MADOGUCHI_DATA_DIR"] = str(c.settings.data_dir.resolve())
    with worker_metrics_dir():
        uvicorn.run(
            "madoguchi.web.asgi:create",
            factory=True,
            workers=workers,
            # a worker starts by importing this command line (multiprocessing's spawn runs
            # the main script again) and answers uvicorn's health pings only then: on a busy
            # machine that took more than uvicorn's 5 s, and the workers were killed in a loop
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            **options,
        )


def build_ca() -> typer.Typer:
    ca = typer.Typer(help="認証局（CA）の操作", no_args_is_help=True)
    ca.command("init")(cmd_init)
    ca.command("export")(cmd_export)
    ca.command("revoke")(cmd_revoke)
    ca.command("show")(cmd_show)
    ca.command("crl")(cmd_crl)
    ca.command("export-ocsp")(cmd_export_ocsp)
    from madoguchi.cli.periodic_cmd import cmd_publish_crls

    ca.command("publish-crls")(cmd_publish_crls)
    from madoguchi.cli.ca_service_cmd import register

    register(ca)
    from madoguchi.cli.moves_cmd import register_ca

    register_ca(ca)
    from madoguchi.cli.notices_cmd import build as build_notices

    ca.add_typer(build_notices(national=True), name="notices")
    return ca


def build_db() -> typer.Typer:
    db = typer.Typer(help="データベースの操作", no_args_is_help=True)
    db.command("upgrade")(cmd_db_upgrade)
    return db
