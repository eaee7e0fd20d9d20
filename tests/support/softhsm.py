"""A throwaway SoftHSM2 token in a test's own directory (the PKCS#11 HSM of the pki layer).

SoftHSM reads ``SOFTHSM2_CONF`` and scans its token directory only in ``C_Initialize``, once
per process; :func:`create_token` therefore re-initialises the module after creating the
token, which closes every session this process had open on it. Never skips: without
SoftHSM2 the test fails and says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
UTIL = "softhsm2-util"
INSTALL = "install softhsm2: `make sysdeps` (scripts/sysdeps.sh) or `apt-get install softhsm2`"


def require_softhsm() -> str:
    """The path of softhsm2-util; fails the calling test when SoftHSM2 is not installed."""
    util = shutil.which(UTIL)
    missing = [str(p) for p, ok in ((MODULE, MODULE.is_file()), (UTIL, util)) if not ok]
    if missing or util is None:
        pytest.fail(f"SoftHSM2 is missing ({', '.join(missing)}); {INSTALL}", pytrace=False)
    return util


@dataclass(frozen=True, slots=True)
class SoftHsmToken:
    module: str
    label: str
    pin: str
    so_pin: str
    conf: Path

    @property
    def env(self) -> dict[str, str]:
        """For subprocesses that should see the same token."""
        return {"SOFTHSM2_CONF": str(self.conf)}


def create_token(
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    label: str = "madoguchi-test",
    pin: str = "246810",
    so_pin: str = "13579111",
) -> SoftHsmToken:
    """Initialise a fresh token under ``directory`` and point this process's SoftHSM at it."""
    util = require_softhsm()
    tokendir = directory / "tokens"
    tokendir.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokendir}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    proc = subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        pytest.fail(f"softhsm2-util --init-token failed: {proc.stdout}{proc.stderr}")
    # loads the module on first use; afterwards finalize + initialize to re-read the config
    pkcs11.lib(str(MODULE)).reinitialize()
    return SoftHsmToken(str(MODULE), label, pin, so_pin, conf)
