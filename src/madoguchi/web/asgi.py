"""The application for servers that import it themselves: ``madoguchi.web.asgi:create`` is
a factory reading Settings from the environment (MADOGUCHI_*), e.g.

    uvicorn --factory madoguchi.web.asgi:create --workers 2

which is what ``madoguchi serve --workers N`` runs: each worker process builds its own
container (engine, CA keys, OCSP answers in memory) from the same settings. Nothing is
created at import time (DESIGN.md 7).
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from madoguchi.bootstrap import build
from madoguchi.config import Settings
from madoguchi.web.app import create_app


def create() -> FastAPI:
    target = os.environ.get("MADOGUCHI_LOG_FILE")
    log = logging.getLogger("madoguchi")
    if target and not log.handlers:
        handler = logging.FileHandler(target)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return create_app(build(Settings()).start())
