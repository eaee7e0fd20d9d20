"""Logs: one JSON object per line (``MADOGUCHI_LOG_FORMAT=json``) or plain text, with the id
of the request being served, and never a secret.

``MADOGUCHI_LOG_FILE`` says where (a file, or ``-`` for standard error, e.g. the systemd
journal); unset, nothing is written (logs never reach a person's screen). The request id
lives in a context variable set by the web middleware (web/ops.py) for each request; it
follows the request into the worker threads that run the services (Starlette copies the
context), and :class:`RequestIdFilter` puts it on every record, whatever layer logs it.

Whatever the code logs, the formatters redact what must never be written: a 12-digit number
(the form of a My Number), a PEM private key, and the values of fields named like a PIN, a
password, a passphrase, a secret or a token.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from madoguchi.runtime import SafeFormatter

FORMAT_ENV = "MADOGUCHI_LOG_FORMAT"
FILE_ENV = "MADOGUCHI_LOG_FILE"
ROOT = "madoguchi"

REQUEST_ID: ContextVar[str | None] = ContextVar("madoguchi_request_id", default=None)

#: a request id taken from a client: short, printable, no spaces or quotes
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
#: twelve digits standing alone (not inside a hex serial or a hash): the form of a My Number
TWELVE_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_SECRET_FIELD = re.compile(r"pin|password|passphrase|secret|token", re.IGNORECASE)
REDACTED = "[redacted]"


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is sane (and holds no 12-digit number), else a new
    random one."""
    if header and _SANE_ID.fullmatch(header) and not TWELVE_DIGITS.search(header):
        return header
    return uuid.uuid4().hex


def redact_text(text: str) -> str:
    text = _PRIVATE_KEY.sub("[redacted private key]", text)
    return TWELVE_DIGITS.sub(REDACTED, text)


def redact(value: Any, field: str = "") -> Any:
    """``value`` with secrets replaced, recursively through dicts and lists."""
    if field and _SECRET_FIELD.search(field) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return redact_text(str(value)) if TWELVE_DIGITS.fullmatch(str(value)) else value
    return value


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or None) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter: time (UTC, ISO 8601), level, logger, message, pid,
    request_id, and the record's extra fields — redacted."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}{process}{request_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: redact(v, k) for k, v in log_data.items()}


class RedactingTextFormatter(SafeFormatter):
    """One line per record (control characters escaped, a traceback on indented
    continuation lines: runtime.SafeFormatter), redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact_text(super().format(record))


def make_handler(target: str | None, fmt: str | None) -> logging.Handler:
    """A handler for ``target`` (a path, ``-`` for stderr, None for nowhere) in ``fmt``
    (``json`` or text)."""
    handler: logging.Handler
    if not target:
        handler = logging.NullHandler()
    elif target == "-":
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.FileHandler(target, encoding="utf-8")
    json_lines = (fmt or "").lower() == "json"
    handler.setFormatter(RedactingJsonFormatter() if json_lines else RedactingTextFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure(env: dict[str, str] | None = None) -> logging.Handler:
    """Set up the ``madoguchi`` logger from the environment (MADOGUCHI_LOG_FILE,
    MADOGUCHI_LOG_FORMAT); calling it again replaces the handler it installed before."""
    env = dict(os.environ) if env is None else env
    log = logging.getLogger(ROOT)
    for old in [h for h in log.handlers if getattr(h, "_madoguchi", False)]:
        log.removeHandler(old)
        old.close()
    handler = make_handler(env.get(FILE_ENV), env.get(FORMAT_ENV))
    handler._madoguchi = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler
