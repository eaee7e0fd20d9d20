"""The one place where the CLI turns errors into Japanese messages and exit codes.

Exit 2: the input was wrong (an impossible date, an unknown option value); a person sees a
Japanese message on stderr, never a traceback. With ``--json`` stdout also gets one JSON
object ``{"error": {"code": …, "message": …}}`` so scripts can read it.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Any, NoReturn, Protocol

import typer

# Typer 0.29 vendors click; its usage-error classes live here (pinned in pyproject.toml).
from typer._click import exceptions as click_exc

from madoguchi.messages import japanese_of

EXIT_BAD_INPUT = 2


class CliInputError(Exception):
    """Bad input caught by the CLI itself (parsing), with a stable code and a Japanese message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _option_name(param: Any) -> str:
    if param is None:
        return "引数"
    opts = getattr(param, "opts", None)
    return str(opts[0]) if opts else str(getattr(param, "human_readable_name", param))


def _choices(param: Any) -> list[str] | None:
    """The allowed values of an Enum-typed option (also inside ``list[Enum]``)."""
    try:
        annotation = param.get_runtime_param().annotation
    except AttributeError:
        return None
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return [str(m.value) for m in candidate]
    return None


def translate_usage_error(exc: typer.TyperException) -> CliInputError:
    """Click's English usage errors, said in Japanese."""
    if isinstance(exc, click_exc.MissingParameter):
        return CliInputError("missing_option", f"{_option_name(exc.param)} を指定してください。")
    if isinstance(exc, click_exc.NoSuchOption):
        return CliInputError("no_such_option", f"{exc.option_name} というオプションはありません。")
    if isinstance(exc, typer.BadParameter):
        name = _option_name(exc.param)
        choices = _choices(exc.param)
        if choices:
            return CliInputError(
                "invalid_choice",
                f"{name} には次のいずれかを指定してください: {', '.join(choices)}",
            )
        return CliInputError("invalid_value", f"{name} の値が正しくありません。")
    if isinstance(exc, click_exc.UsageError):
        return CliInputError("usage", f"コマンドの指定が正しくありません（{exc.message}）。")
    return CliInputError("usage", exc.format_message())


def fail(code: str, message: str, *, json_mode: bool, exit_code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print the error for people (stderr) and scripts (stdout with --json); exit 2."""
    print(f"エラー: {message}", file=sys.stderr)
    if json_mode:
        print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    sys.exit(exit_code)


class LayerError(Protocol):
    code: str
    detail: str


def fail_error(exc: LayerError, *, json_mode: bool, exit_code: int = EXIT_BAD_INPUT) -> NoReturn:
    """A layer's error (it carries ``code`` and ``detail``), said in Japanese."""
    fail(exc.code, japanese_of(exc), json_mode=json_mode, exit_code=exit_code)
