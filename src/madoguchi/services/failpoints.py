"""Named points where the fault tests kill the process for real (kill -9).

``MADOGUCHI_FAILPOINT=<name>`` makes the process send itself SIGKILL when it reaches that
point (``<name>@<n>``: the n-th time it gets there): no exception handler, no ``finally``, no
flush runs, as with a power cut. Unset, a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "MADOGUCHI_FAILPOINT"


_reached: dict[str, int] = {}


def failpoint(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted or not wanted.startswith(name):
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
