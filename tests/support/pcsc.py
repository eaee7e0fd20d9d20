"""A real PC/SC stack for the tests: Debian's pcscd with vsmartcard's virtual reader (vpcd).

pcscd and its vpcd reader run in a private network and mount namespace (``unshare``): the
reader waits for a card on port 35963 of that namespace's own loopback, which nothing outside
can reach, and pcscd's socket is bind-mounted from the test's directory, so a developer's own
pcscd (and real readers) are left alone. Clients — OpenSC's tools, ``madoguchi card …`` —
find it through ``PCSCLITE_CSOCK_NAME``. A card is inserted by running
``madoguchi card serve-vpcd`` inside that network namespace (``nsenter``), and removed by
stopping it.

Never skips: without the Debian packages the test fails and says how to install them.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.processes import MADOGUCHI

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
OPENSC_PKCS11 = next(
    (Path(p) for p in sorted(glob.glob("/usr/lib/*/opensc-pkcs11.so"))),
    Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
)
PORT = 35963
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
    """pcscd with one vpcd reader, in its own namespaces; :meth:`insert` a vault card."""

    def __init__(self, base: Path) -> None:
        require_pcsc_stack()
        self.base = base
        conf, run = base / "reader.conf.d", base / "run"
        conf.mkdir()
        run.mkdir()
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "{READER}"\n'
            f"DEVICENAME   /dev/null:{PORT}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    {PORT}\n"
        )
        self.socket = run / "pcscd.comm"
        self.env = {"PCSCLITE_CSOCK_NAME": str(self.socket)}
        self.log = (base / "pcscd.log").open("wb")
        unshare = ["unshare", "--mount", "--net", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare.insert(1, "--map-root-user")
        script = (
            "ip link set lo up && mkdir -p /run/pcscd && "
            f"mount --bind {run} /run/pcscd && exec pcscd --foreground --config {conf}"
        )
        self.pcscd = subprocess.Popen(
            [*unshare, "sh", "-c", script], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._card: subprocess.Popen[bytes] | None = None
        self._wait(lambda: self.socket.exists(), "pcscd's socket")

    def _wait(self, ready: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
        """Poll a readiness condition; ``timeout`` is a hang guard for a loaded machine."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.pcscd.poll() is not None:
                raise AssertionError(f"pcscd exited: {self.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.logs()}")
            time.sleep(0.05)

    def logs(self) -> str:
        self.log.flush()
        return (self.base / "pcscd.log").read_text(errors="replace")[-3000:]

    def card_present(self) -> bool:
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
        assert self._card is None, "a card is already in the reader"
        self._card = subprocess.Popen(
            [
                "nsenter",
                f"--net=/proc/{self.pcscd.pid}/ns/net",
                "--",
                str(MADOGUCHI),
                "card",
                "serve-vpcd",
                card_id,
                "--port",
                str(PORT),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._wait(self.card_present, f"card {card_id} in the reader")

    def remove(self) -> str:
        """Pull the card out (SIGTERM to serve-vpcd); returns what serve-vpcd printed."""
        assert self._card is not None, "no card in the reader"
        card, self._card = self._card, None
        card.send_signal(signal.SIGTERM)
        out, err = card.communicate(timeout=180)
        assert card.returncode == 0, err.decode()
        self._wait(lambda: not self.card_present(), "the reader to be empty")
        return out.decode()

    def close(self) -> None:
        if self._card is not None:
            self._card.kill()
            self._card.wait()
            self._card = None
        self.pcscd.terminate()
        try:
            self.pcscd.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.pcscd.kill()
            self.pcscd.wait()
        self.log.close()


@contextmanager
def virtual_reader() -> Iterator[VirtualReader]:
    base = Path(tempfile.mkdtemp(prefix="madoguchi-pcsc-"))
    reader = VirtualReader(base)
    try:
        yield reader
    finally:
        reader.close()
        shutil.rmtree(base, ignore_errors=True)
