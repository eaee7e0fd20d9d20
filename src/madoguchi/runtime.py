"""What every madoguchi process does first (the CLI's ``main``, the ASGI factory of the
server's workers): make the files it creates private, and write logs that a request cannot
forge.

* **Private files (issue 14, item 10).** The data directory holds names, addresses and staff
  password hashes: the database and its WAL/SHM, the writer lock, the log, the notice batches,
  backups and audit checkpoints. :func:`private_files` sets the process umask to 077 once, at
  start, so everything the process creates is 0600 and every folder 0700, whatever library
  creates it (SQLite creates its WAL and SHM files itself). What is public by nature — CA
  certificates, CRLs, OCSP answers for a static server, a test card's certificates — is
  given its public mode where it is written (:func:`publish`).
* **Safe logs (issue 14, item 8).** :class:`SafeFormatter` escapes every control character
  (CR, LF, NUL, the other C0 and C1 codes, DEL, U+2028/U+2029) of a record as ``\\r``,
  ``\\n``, ``\\x00``, ``\\u2028`` …, so a request path or header can never start a line of its
  own in ``madoguchi.log``; a traceback keeps its lines, each indented with ``  | `` so that
  it cannot pass for a record either. The log handlers of madoguchi and of uvicorn use it.

Standard library only: the CLI imports this before anything else (issue 14, item 17).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

PRIVATE_UMASK = 0o077
PUBLIC_FILE_MODE = 0o644
PUBLIC_DIR_MODE = 0o755
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CONTINUATION = "  | "

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape; nothing else changes."""
    return _CONTROL.sub(_escaped, text)


class SafeFormatter(logging.Formatter):
    """A formatter whose records are one line each, whatever the message or its arguments
    hold; exception and stack texts follow on indented continuation lines."""

    def __init__(self, fmt: str | None = LOG_FORMAT, *args: Any, **kwargs: Any) -> None:
        super().__init__(fmt, *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        plain = logging.makeLogRecord(record.__dict__)  # other handlers see the record as it was
        plain.msg, plain.args = record.getMessage(), None
        plain.exc_info = plain.exc_text = plain.stack_info = None
        text = escape_controls(super().format(plain))
        blocks = []
        if record.exc_info:
            blocks.append(self.formatException(record.exc_info))
        elif record.exc_text:
            blocks.append(record.exc_text)
        if record.stack_info:
            blocks.append(self.formatStack(record.stack_info))
        for block in blocks:
            for line in block.split("\n"):
                text += "\n" + CONTINUATION + escape_controls(line)
        return text


def private_files() -> None:
    """Everything this process creates from now on is 0600, every folder 0700."""
    os.umask(PRIVATE_UMASK)


def publish(path: Path, *, directory: bool = False) -> Path:
    """Give a file meant for relying parties (a CA certificate, a CRL, an OCSP answer) its
    public mode, 0644 (0755 for a folder a static server reads), despite the umask."""
    path.chmod(PUBLIC_DIR_MODE if directory else PUBLIC_FILE_MODE)
    return path


def public_dir(path: Path) -> Path:
    """A folder of files for relying parties: created, with any missing parent, readable by
    all (despite the umask); an existing folder keeps the mode it has."""
    missing = [p for p in (path, *path.parents) if not p.is_dir()]
    for folder in reversed(missing):
        folder.mkdir()
        publish(folder, directory=True)
    return path


def configure_logging() -> None:
    """The ``madoguchi`` loggers write (English) to MADOGUCHI_LOG_FILE when it is set — plain
    text through :class:`SafeFormatter` or JSON lines (MADOGUCHI_LOG_FORMAT=json), redacted,
    with the request id (observability/logs.py) — and never to a person's screen. Without a
    log file nothing more is imported (a rules command starts fast, issue 14, item 17)."""
    log = logging.getLogger("madoguchi")
    log.propagate = False
    log.setLevel(logging.INFO)
    target = os.environ.get("MADOGUCHI_LOG_FILE")
    if not target:
        if not log.handlers:
            log.addHandler(logging.NullHandler())
        return
    if target != "-":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    from madoguchi.observability import logs

    logs.configure()


def uvicorn_log_config(level: str = "warning") -> dict[str, Any]:
    """uvicorn's logging through :class:`SafeFormatter`: to stderr as before, and also to
    MADOGUCHI_LOG_FILE when it is set (its access log, when turned on, too)."""
    handlers: dict[str, Any] = {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "safe",
            "stream": "ext://sys.stderr",
        }
    }
    target = os.environ.get("MADOGUCHI_LOG_FILE")
    if target:
        handlers["file"] = {"class": "logging.FileHandler", "formatter": "safe", "filename": target}
    names = list(handlers)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"safe": {"()": SafeFormatter}},
        "handlers": handlers,
        "loggers": {
            "uvicorn": {"handlers": names, "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": names, "level": "INFO", "propagate": False},
        },
    }
