"""A system tool a test needs (systemd-analyze, nginx): found, or the test stops — failing
under CI (the environment variable CI set), skipped on a developer's machine without it."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str, install: str) -> str:
    """The tool's path; a failure under CI and a skip elsewhere when it is missing."""
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    if found:
        return found
    message = f"{name} is missing: {install}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
