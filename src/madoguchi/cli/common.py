"""Options and error handling shared by the commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from madoguchi.card.errors import CardError
from madoguchi.cli.errors import CliInputError, fail, fail_error
from madoguchi.pki.errors import PkiError
from madoguchi.rules.dates import JST
from madoguchi.rules.errors import RuleError
from madoguchi.services.domain import ServiceError

if TYPE_CHECKING:
    from madoguchi.bootstrap import Container

EXIT_REFUSED = 1

JsonOpt = Annotated[bool, typer.Option("--json", help="結果を1つのJSONオブジェクトで出力")]
DateOpt = Annotated[str, typer.Option(metavar="YYYY-MM-DD")]
OptDateOpt = Annotated[str | None, typer.Option(metavar="YYYY-MM-DD")]


def parse_date(value: str, option: str) -> date:
    """A calendar date written YYYY-MM-DD; anything else is a clear Japanese error."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise CliInputError(
            "invalid_date",
            f"{option} の日付「{value}」は正しくありません。実在する日付を YYYY-MM-DD の形で指定してください。",
        ) from None


def parse_optional_date(value: str | None, option: str) -> date | None:
    return None if value is None else parse_date(value, option)


def parse_moment(value: str | None, option: str) -> datetime:
    """YYYY-MM-DDTHH:MM in Japan time (an explicit offset is honoured); None means now."""
    if value is None:
        return datetime.now(JST)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliInputError(
            "invalid_datetime",
            f"{option} の日時「{value}」は正しくありません。YYYY-MM-DDTHH:MM の形で指定してください。",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


@contextmanager
def handled(json_mode: bool) -> Iterator[None]:
    """Bad input exits 2, a refusal of the CA or the card exits 1; always in Japanese."""
    try:
        yield
    except CliInputError as exc:
        fail(exc.code, exc.message, json_mode=json_mode)
    except RuleError as exc:
        fail_error(exc, json_mode=json_mode)
    except (PkiError, CardError, ServiceError) as exc:
        fail_error(exc, json_mode=json_mode, exit_code=EXIT_REFUSED)


DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="MADOGUCHI_DATA_DIR",
        help="データディレクトリ（既定: ./madoguchi-data）",
    ),
]


def container(data_dir: Path | None) -> Container:
    """The services of the data directory (imported here: a rules command never loads the
    store, the CA or pydantic; see cli/main.py)."""
    from pydantic import ValidationError

    from madoguchi.bootstrap import build
    from madoguchi.config import Settings

    try:
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        raise CliInputError(
            "invalid_settings",
            f"設定（環境変数 MADOGUCHI_…）が正しくありません: {problems}",
        ) from None
    return build(settings)


def with_store(data_dir: Path | None) -> Container:
    """The wiring with the schema brought to head (commands that use the store)."""
    return container(data_dir).start(ca=False)


def with_ca(data_dir: Path | None) -> Container:
    """The wiring with the schema at head and the CA loaded (commands that use the CA)."""
    return container(data_dir).start()
