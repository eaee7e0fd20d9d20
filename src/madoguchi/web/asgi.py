"""The application for servers that import it themselves: ``madoguchi.web.asgi:create`` is
a factory reading Settings from the environment (MADOGUCHI_*), e.g.

    uvicorn --factory madoguchi.web.asgi:create --workers 2

which is what ``madoguchi serve --workers N`` runs: each worker process builds its own
container (engine, CA keys, OCSP answers in memory) from the same settings. Nothing is
created at import time (DESIGN.md 7).
"""

from __future__ import annotations

from fastapi import FastAPI

from madoguchi.bootstrap import build
from madoguchi.config import Settings
from madoguchi.runtime import configure_logging, private_files
from madoguchi.web.app import create_app


def create() -> FastAPI:
    private_files()  # a worker creates the data directory's files 0600 too
    configure_logging()  # MADOGUCHI_LOG_FILE, MADOGUCHI_LOG_FORMAT (observability/logs.py)
    return create_app(build(Settings()).start())
