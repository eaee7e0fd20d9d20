"""Named points where the fault tests kill the process for real (kill -9).

``MADOGUCHI_FAILPOINT=<name>`` makes the process send itself SIGKILL when it reaches that
point: no exception handler, no ``finally``, no flush runs, as with a power cut. Unset, a
failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "MADOGUCHI_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
