"""`madoguchi ca serve`, `ca enroll-ra`, `ca revoke-ra`, `ca ra-list` (issue 17, R-NAT-1):
the CA as a service of its own, and the counters' credentials to reach it."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, handled, with_ca, with_store
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.messages import japanese_of
from madoguchi.rules.dates import format_japanese_with_western, jst_date
from madoguchi.rules.errors import RuleInputError
from madoguchi.runtime import uvicorn_log_config


def cmd_enroll_ra(
    municipality: Annotated[
        str, typer.Option("--municipality", help="全国地方公共団体コード（6桁、例: 012076）")
    ],
    name: Annotated[str, typer.Option("--name", help="窓口の名前（例: 帯広市 戸籍住民課）")],
    out: Annotated[Path, typer.Option("--out", help="証明書と鍵を書き出すディレクトリ")],
    address: Annotated[
        str, typer.Option("--address", help="窓口の所在地（認証局の通知書に載せる。省略可）")
    ] = "",
    phone: Annotated[
        str, typer.Option("--phone", help="窓口の電話番号（認証局の通知書に載せる。省略可）")
    ] = "",
    hours: Annotated[
        str,
        typer.Option("--hours", help="窓口の受付時間（認証局の通知書に載せる。省略可）"),
    ] = "",
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """市区町村の窓口（RA）が認証局サービスに接続するための証明書と鍵を作ります"""
    from madoguchi.rules.municipality import municipality_code

    with handled(json):
        try:
            code = municipality_code(municipality)
        except RuleInputError as exc:  # bad input: exit 2, in Japanese
            raise CliInputError(exc.code, japanese_of(exc)) from None
        enrolled = with_ca(data_dir).ra_enrolment.enroll(
            code, name, out, address, phone=phone, hours=hours
        )
    cred = enrolled.credential
    data = {
        "municipality": cred.municipality,
        "name": cred.name,
        "serial": f"{cred.serial:x}",
        "not_after": cred.not_after,
        "files": enrolled.files,
    }
    emit(
        data,
        json_mode=json,
        title="RA 証明書を作成しました",
        rows=[
            ("団体コード", cred.municipality),
            ("名前", cred.name),
            ("シリアル番号", f"{cred.serial:x}"),
            ("有効期限", format_japanese_with_western(jst_date(cred.not_after))),
            ("ディレクトリ", str(out)),
        ],
    )


def cmd_revoke_ra(
    serial: Annotated[str, typer.Option("--serial", help="RA 証明書のシリアル番号（16進）")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """RA 証明書を失効させます（認証局サービスは次の接続からすぐに拒否します）"""
    from madoguchi.cli.ca_cmd import _serial

    with handled(json):
        number = _serial(serial)
        cred = with_ca(data_dir).ra_enrolment.revoke(number)
    data = {
        "serial": f"{cred.serial:x}",
        "municipality": cred.municipality,
        "name": cred.name,
        "revoked_at": cred.revoked_at,
    }
    emit(
        data,
        json_mode=json,
        title="RA 証明書を失効させました",
        rows=[("シリアル番号", data["serial"]), ("団体コード", cred.municipality)],
    )


def cmd_ra_list(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """RA 証明書の一覧を表示します"""
    with handled(json):
        creds = with_store(data_dir).ra_enrolment.credentials()
    items = [
        {
            "serial": f"{c.serial:x}",
            "municipality": c.municipality,
            "name": c.name,
            "issued_at": c.issued_at,
            "not_after": c.not_after,
            "revoked_at": c.revoked_at,
        }
        for c in creds
    ]
    emit(
        {"credentials": items},
        json_mode=json,
        title=f"RA 証明書（{len(items)}件）",
        rows=[
            (
                f"{c.municipality} {c.name}",
                f"{c.serial:x}" + ("（失効）" if c.revoked_at else ""),
            )
            for c in creds
        ],
    )


def cmd_serve(
    host: Annotated[str, typer.Option(help="待ち受けるアドレス")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="RA API（HTTPS・相互TLS）のポート番号", min=1, max=65535)
    ] = 8443,
    public_port: Annotated[
        int,
        typer.Option(
            "--public-port", help="OCSP・CRL・認証局証明書（HTTP）のポート番号", min=1, max=65535
        ),
    ] = 8081,
    tls_name: Annotated[
        list[str] | None,
        typer.Option("--tls-name", help="サーバ証明書に加える名前（ホスト名・IPアドレス）"),
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """認証局を単独のサービスとして起動します（RA API は相互TLS、OCSP・CRL は HTTP）"""
    from madoguchi.web.ca_service import create_public_app, create_ra_app
    from madoguchi.web.ca_tls import serve

    with handled(False), tempfile.TemporaryDirectory(prefix="madoguchi-ca-tls-") as own:
        c = with_ca(data_dir)
        if c.remote_ca:
            raise CliInputError(
                "remote_ca",
                "MADOGUCHI_CA_URL が設定されています。認証局サービスは自分の認証局で動きます"
                "（MADOGUCHI_CA_URL を外してください）。",
            )
        hosts = [host, *(tls_name or []), "localhost", "127.0.0.1", "::1"]
        hosts = [h for h in hosts if h not in ("0.0.0.0", "::")]
        # the process's own TLS files (its server key, the CRL it loaded); all the rest is in
        # the store, shared by every `ca serve` over it
        tls = c.ra_enrolment.server_tls(hosts, Path(own))
        ra_app, public_app = create_ra_app(c), create_public_app(c)

        def ready() -> None:
            print(
                f"madoguchi ca serve: ready — RA API https://{host}:{port}/ra/v1 (mutual TLS), "
                f"public http://{host}:{public_port}/ (OCSP, CRL, CA certificates)",
                flush=True,
            )

        with contextlib.suppress(KeyboardInterrupt):
            serve(
                ra_app,
                public_app,
                host=host,
                port=port,
                public_port=public_port,
                tls=tls,
                on_ready=ready,
                log_config=uvicorn_log_config("warning"),
            )


def register(ca: typer.Typer) -> None:
    ca.command("serve")(cmd_serve)
    ca.command("enroll-ra")(cmd_enroll_ra)
    ca.command("revoke-ra")(cmd_revoke_ra)
    ca.command("ra-list")(cmd_ra_list)
