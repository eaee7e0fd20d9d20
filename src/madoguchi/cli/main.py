"""Entry point of the `madoguchi` console script.

The Typer application is built by :func:`build_app` (nothing is created at import time) and
runs through :class:`JapaneseErrorsGroup`, which says usage errors in Japanese and exits 2.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer._click import exceptions as click_exc
from typer.core import TyperGroup

from madoguchi import __version__
from madoguchi.cli import (
    audit_cmd,
    backup_cmd,
    ca_cmd,
    card_cmd,
    cert_cmd,
    demo_cmd,
    notices_cmd,
    periodic_cmd,
    rules_cmd,
    sandbox_cmd,
    sign_cmd,
    staff_cmd,
    verify_cmd,
)
from madoguchi.cli.errors import fail, translate_usage_error
from madoguchi.messages import japanese
from madoguchi.observability import logs

log = logging.getLogger("madoguchi")
EXIT_FAILURE = 1


class JapaneseErrorsGroup(TyperGroup):
    """Runs the command tree with click's errors translated (cli/errors.py), no traceback."""

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
        except SQLAlchemyError as exc:
            log.exception("database error")
            fail(
                "database_unavailable",
                japanese("database_unavailable", str(exc)),
                json_mode="--json" in argv,
                exit_code=EXIT_FAILURE,
            )
        except Exception as exc:  # a person never sees a traceback (DESIGN.md 6)
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

    app.add_typer(rules_cmd.build(), name="rules")
    ca, db = ca_cmd.build()
    cert, testcard = cert_cmd.build()
    ca.command("publish-crls")(periodic_cmd.cmd_publish_crls)
    app.add_typer(ca, name="ca")
    app.add_typer(periodic_cmd.build_registry(), name="registry")
    app.add_typer(db, name="db")
    app.add_typer(cert, name="cert")
    app.add_typer(testcard, name="testcard")
    app.add_typer(audit_cmd.build(), name="audit")
    app.add_typer(staff_cmd.build(), name="staff")
    app.add_typer(notices_cmd.build(), name="notices")
    app.add_typer(card_cmd.build(), name="card")
    app.add_typer(sign_cmd.build(), name="sign")
    app.command("verify")(verify_cmd.cmd_verify)
    app.command("sandbox")(sandbox_cmd.cmd_sandbox)
    app.command("serve")(ca_cmd.cmd_serve)
    app.command("demo-data")(demo_cmd.cmd_demo_data)
    app.command("backup")(backup_cmd.cmd_backup)
    app.command("restore")(backup_cmd.cmd_restore)
    app.command("run-periodic")(periodic_cmd.cmd_run_periodic)
    app.command("systemd-units")(periodic_cmd.cmd_systemd_units)
    return app


def configure_logging() -> None:
    """Logs (English) go to MADOGUCHI_LOG_FILE when set (``-``: standard error), never to a
    person's screen otherwise; MADOGUCHI_LOG_FORMAT=json writes one JSON object per line."""
    logs.configure()


def main() -> None:
    configure_logging()
    build_app()()
