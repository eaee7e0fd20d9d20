"""A real PC/SC stack for the tests: Debian's pcscd with vsmartcard's virtual reader (vpcd).

pcscd and its vpcd reader run in a private network and mount namespace (``unshare``, by
:mod:`madoguchi.relying.sandbox`, the relying parties' sandbox): the reader waits for a card
on port 35963 of that namespace's own loopback, which nothing outside can reach, and pcscd's
socket is bind-mounted from the test's directory, so a developer's own pcscd (and real
readers) are left alone. Clients — OpenSC's tools, ``madoguchi card …`` —
find it through ``PCSCLITE_CSOCK_NAME``. A card is inserted by running
``madoguchi card serve-vpcd`` inside that network namespace (``nsenter``), and removed by
stopping it.

Never skips: without the Debian packages the test fails and says how to install them.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from madoguchi.relying.sandbox import VPCD_DRIVER, VirtualReaders

OPENSC_PKCS11 = next(
    (Path(p) for p in sorted(glob.glob("/usr/lib/*/opensc-pkcs11.so"))),
    Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
)
READER = "madoguchi virtual reader"
INSTALL = (
    "install pcscd, vsmartcard-vpcd and opensc: `make sysdeps` (scripts/sysdeps.sh) or "
    "`apt-get install pcscd vsmartcard-vpcd opensc iproute2`"
)


def require_pcsc_stack() -> None:
    """Fail the calling test (never skip) when a part of the PC/SC stack is missing."""
    missing = [
        name
        for name, ok in (
            ("pcscd", shutil.which("pcscd")),
            ("unshare", shutil.which("unshare")),
            ("nsenter", shutil.which("nsenter")),
            ("ip", shutil.which("ip")),
            ("pkcs15-tool", shutil.which("pkcs15-tool")),
            ("pkcs11-tool", shutil.which("pkcs11-tool")),
            (str(VPCD_DRIVER), VPCD_DRIVER.is_file()),
            (str(OPENSC_PKCS11), OPENSC_PKCS11.is_file()),
        )
        if not ok
    ]
    if missing:
        pytest.fail(f"the PC/SC stack is missing ({', '.join(missing)}); {INSTALL}", pytrace=False)


class VirtualReader:
    """pcscd with one vpcd reader, in its own namespaces (the sandbox's
    :class:`~madoguchi.relying.sandbox.VirtualReaders`); :meth:`insert` a vault card."""

    def __init__(self, base: Path) -> None:
        require_pcsc_stack()
        self._readers = VirtualReaders(base, [READER], timeout=30.0)
        self.base, self.env, self.pcscd = base, self._readers.env, self._readers.pcscd

    def logs(self) -> str:
        return self._readers.logs()

    def card_present(self) -> bool:
        """Whether OpenSC, the independent client, sees a card in the reader."""
        out = subprocess.run(
            ["opensc-tool", "--list-readers"],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        ).stdout
        return any(READER in line and " Yes " in line for line in out.splitlines())

    def insert(self, card_id: str, data_dir: Path) -> None:
        """Put the vault's card ``card_id`` in the reader (``madoguchi card serve-vpcd``)."""
        self._readers.insert(0, card_id, data_dir)
        self._readers.wait(self.card_present, f"OpenSC to see card {card_id}")

    def remove(self) -> str:
        """Pull the card out (SIGTERM to serve-vpcd); returns what serve-vpcd printed."""
        out = self._readers.remove(0)
        self._readers.wait(lambda: not self.card_present(), "the reader to be empty")
        return out

    def close(self) -> None:
        self._readers.close()


@contextmanager
def virtual_reader() -> Iterator[VirtualReader]:
    base = Path(tempfile.mkdtemp(prefix="madoguchi-pcsc-"))
    reader = VirtualReader(base)
    try:
        yield reader
    finally:
        reader.close()
        shutil.rmtree(base, ignore_errors=True)
