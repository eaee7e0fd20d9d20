"""Entry point of the `madoguchi` console script.

The Typer application is built by :func:`build_app` (nothing is created at import time) and
runs through :class:`JapaneseErrorsGroup`, which says usage errors in Japanese and exits 2.

**Each command is imported only when it runs** (issue 14, item 17). ``madoguchi rules fee``
must not pay for SQLAlchemy, Alembic, cryptography or the web application, so this module
imports none of them, and the commands are listed in :data:`COMMANDS` by the *name* of the
module that builds them. To add a command:

1. write ``madoguchi/cli/<name>_cmd.py`` with a ``build()`` that returns a ``typer.Typer``
   (a group of subcommands), or with a plain command function;
2. add one line to :data:`COMMANDS`: the name, the module, the builder or function, and the
   one-line help shown by ``madoguchi --help`` (``tests/e2e/test_cli_startup.py`` checks it
   against the command's own);
3. keep the module's top-level imports light (standard library, typer, ``madoguchi.rules``,
   ``madoguchi.cli.common``); import the services, the store, cryptography or the web
   application inside the command functions that use them.

``tests/e2e/test_cli_startup.py`` fails when a rules command or ``--help`` loads SQLAlchemy,
Alembic, FastAPI or cryptography; ``bench/startup_bench.py`` measures the start-up times.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer._click import exceptions as click_exc
from typer.core import TyperGroup

from madoguchi import __version__
from madoguchi.cli.errors import fail, translate_usage_error
from madoguchi.messages import japanese
from madoguchi.runtime import configure_logging, private_files

log = logging.getLogger("madoguchi")
EXIT_FAILURE = 1


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command, imported from ``module`` when it is used.

    ``builder`` names a function of the module: with ``group=True`` it returns a
    ``typer.Typer`` (a group of subcommands); with ``group=False`` it *is* the command.
    ``help`` is the line ``madoguchi --help`` shows without importing the module.
    """

    module: str
    builder: str
    help: str
    group: bool = True


COMMANDS: dict[str, Lazy] = {
    "rules": Lazy(
        "madoguchi.cli.rules_cmd", "build", "窓口の規則（SPEC.md の R-… ）を計算して表示します"
    ),
    "ca": Lazy("madoguchi.cli.ca_cmd", "build_ca", "認証局（CA）の操作"),
    "db": Lazy("madoguchi.cli.ca_cmd", "build_db", "データベースの操作"),
    "cert": Lazy("madoguchi.cli.cert_cmd", "build_cert", "電子証明書の表示"),
    "testcard": Lazy("madoguchi.cli.cert_cmd", "build_testcard", "試験用カード"),
    "audit": Lazy("madoguchi.cli.audit_cmd", "build", "監査ログ"),
    "staff": Lazy("madoguchi.cli.staff_cmd", "build", "職員のアカウントとAPIトークン"),
    "notices": Lazy(
        "madoguchi.cli.notices_cmd",
        "build",
        "有効期限通知書の送付（計画・送付・一時停止・再開・状況）",
    ),
    "card": Lazy("madoguchi.cli.card_cmd", "build", "カードリーダー（PC/SC）のマイナンバーカード"),
    "serve": Lazy(
        "madoguchi.cli.ca_cmd",
        "cmd_serve",
        "HTTP サービスを起動します（窓口の画面 /staff/、公開ページ /、API /api/v1、/ocsp、/crl）",
        group=False,
    ),
    "demo-data": Lazy(
        "madoguchi.cli.demo_cmd",
        "cmd_demo_data",
        "デモ用の住民・カード・電子証明書を作成します（認証局がなければ作成します）",
        group=False,
    ),
    "backup": Lazy(
        "madoguchi.cli.backup_cmd",
        "cmd_backup",
        "データベース・認証局の鍵・カード・秘密情報・通知書の印刷単位を1つのファイルに保存します",
        group=False,
    ),
    "restore": Lazy(
        "madoguchi.cli.backup_cmd",
        "cmd_restore",
        "バックアップを新しいデータディレクトリ（空のデータベース）に復元します",
        group=False,
    ),
    "registry": Lazy(
        "madoguchi.cli.periodic_cmd", "build_registry", "住民基本台帳の異動に伴う処理"
    ),
    "reconcile": Lazy(
        "madoguchi.cli.reconcile_cmd",
        "cmd_reconcile",
        "認証局への発行依頼で結果が窓口に記録されていないものを確かめて片付けます",
        group=False,
    ),
    "run-periodic": Lazy(
        "madoguchi.cli.periodic_cmd",
        "cmd_run_periodic",
        "定期処理（CRL の発行、OCSP 応答の書き出し、監査ログのチェックポイント、転入期限、発行依頼の照合、バックアップ）を systemd のタイマーと同じ予定で実行し続けます（systemd のない環境用）",
        group=False,
    ),
    "systemd-units": Lazy(
        "madoguchi.cli.periodic_cmd",
        "cmd_systemd_units",
        "定期処理とサービスの systemd ユニット（.service と .timer）を書き出します",
        group=False,
    ),
    "sign": Lazy("madoguchi.cli.sign_cmd", "build", "カードの署名用電子証明書で署名します"),
    "verify": Lazy(
        "madoguchi.cli.verify_cmd",
        "cmd_verify",
        "署名されたファイルを確かめます（PDF、XML、CMS署名）",
        group=False,
    ),
    "sandbox": Lazy(
        "madoguchi.cli.sandbox_cmd",
        "cmd_sandbox",
        "依拠者（サービス事業者）の試験環境: 認証局（OCSP・CRL）と、仮想カードリーダーの試験用カード3枚",
        group=False,
    ),
}


def load_command(name: str, spec: Lazy) -> Any:
    """Import the command's module and build its click command (a group or one command)."""
    target = getattr(importlib.import_module(spec.module), spec.builder)
    if spec.group:
        command = typer.main.get_group(target())
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


def _is_database_error(exc: BaseException) -> bool:
    """SQLAlchemy's errors, without importing SQLAlchemy for commands that never load it."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


class JapaneseErrorsGroup(TyperGroup):
    """Runs the command tree with click's errors translated (cli/errors.py), no traceback;
    the commands of :data:`COMMANDS` are imported when used (``--help`` lists them from
    their registered help lines)."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        spec = COMMANDS[cmd_name]
        if self._listing:  # the root's help: a name and a line, nothing imported
            return typer.core.TyperCommand(name=cmd_name, help=spec.help, callback=None)
        command = load_command(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> Any:
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except (typer.Abort, KeyboardInterrupt):
            print("中断しました。", file=sys.stderr)
            sys.exit(130)
        except click_exc.NoArgsIsHelpError:
            sys.exit(0)  # the help was printed: asking for it is not an error
        except typer.TyperException as exc:
            err = translate_usage_error(exc)
            fail(err.code, err.message, json_mode="--json" in argv)
        except Exception as exc:  # a person never sees a traceback (DESIGN.md 6)
            if _is_database_error(exc):
                log.exception("database error")
                fail(
                    "database_unavailable",
                    japanese("database_unavailable", str(exc)),
                    json_mode="--json" in argv,
                    exit_code=EXIT_FAILURE,
                )
            log.exception("unexpected error")
            fail(
                "internal_error",
                japanese("internal_error", type(exc).__name__),
                json_mode="--json" in argv,
                exit_code=EXIT_FAILURE,
            )
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _version(value: bool) -> None:
    if value:
        print(f"madoguchi {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        cls=JapaneseErrorsGroup,
        help="madoguchi（窓口）: マイナンバーカードの電子証明書の発行・更新・失効を扱う窓口システム",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="バージョンを表示"
        ),
    ) -> None:
        """madoguchi（窓口）"""

    return app


def main() -> None:
    private_files()  # before anything is created: files 0600, folders 0700 (runtime.py)
    configure_logging()
    build_app()()
