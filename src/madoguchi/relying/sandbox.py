"""Virtual card readers for relying parties' tests: pcscd with vsmartcard's vpcd readers.

:class:`VirtualReaders` starts Debian's ``pcscd`` with one vpcd reader per card, in a private
network and mount namespace (``unshare``): the readers wait for their cards on ports of that
namespace's own loopback, which nothing else on the machine can reach, and pcscd's socket is
bind-mounted from a directory of ours. Any PC/SC program — OpenSC, a browser's PKCS#11
module, a service's own JPKI code, ``madoguchi card …`` — finds these readers by setting
``PCSCLITE_CSOCK_NAME`` to :attr:`VirtualReaders.socket`; a machine's own pcscd and real
readers are left alone. A card of the vault is put in a reader by running
``madoguchi card serve-vpcd`` inside the namespace (``nsenter``) and pulled out by stopping it.

Each vpcd reader has two slots, each waiting on its own port (the reader's port and the
next); pcsc-lite names them ``NAME 00 00`` and ``NAME 00 01``. Cards fill the slots in
order, two per reader, so that no empty slot is left between them: OpenSC's PKCS#11 module
gives each slot 4 of its 16 virtual slots and does not see past the fourth.

Needs: ``pcscd``, ``vsmartcard-vpcd``, ``unshare``/``nsenter`` (util-linux) and ``ip``
(iproute2); root, or unprivileged user namespaces (then ``--map-root-user``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
FIRST_PORT = 35963
PORT_STEP = 2  # a vpcd reader's two slots listen on its port and the next
INSTALL = "apt-get install pcscd vsmartcard-vpcd util-linux iproute2"
#: pyscard alone (no madoguchi, no cryptography): a quick child process
_LIST_READERS = """
import json
from smartcard import scard
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
_, names = scard.SCardListReaders(context, [])
query = [(name, scard.SCARD_STATE_UNAWARE) for name in names or []]
_, states = scard.SCardGetStatusChange(context, 0, query) if query else (0, [])
print(json.dumps([[n, bool(e & scard.SCARD_STATE_PRESENT)] for n, e, _ in states]))
"""


def missing_parts() -> list[str]:
    """What of the PC/SC stack is not installed (empty: nothing)."""
    tools = [name for name in ("pcscd", "unshare", "nsenter", "ip") if not shutil.which(name)]
    return tools + ([str(VPCD_DRIVER)] if not VPCD_DRIVER.is_file() else [])


def madoguchi_command() -> list[str]:
    """How to run this very madoguchi in a child process."""
    script = Path(sys.executable).with_name("madoguchi")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from madoguchi.cli.main import main; main()"]


class VirtualReaders:
    """pcscd with one two-slot vpcd reader per name in ``names``, in its own namespaces.

    Slots are numbered from 0: slot ``i`` is slot ``i % 2`` of reader ``i // 2`` and
    waits on port ``FIRST_PORT + i``.
    """

    def __init__(self, base: Path, names: Sequence[str], *, timeout: float = 60.0) -> None:
        missing = missing_parts()
        if missing:
            raise RuntimeError(f"missing: {', '.join(missing)} ({INSTALL})")
        self.base, self.names, self.timeout = base, list(names), timeout
        conf, run = base / "reader.conf.d", base / "run"
        conf.mkdir(parents=True, exist_ok=True)
        run.mkdir(parents=True, exist_ok=True)
        self.ports = [FIRST_PORT + i for i in range(PORT_STEP * len(self.names))]
        entries = []
        for i, name in enumerate(self.names):
            # vpcd keeps its connections in globals indexed by slot only, so two readers of
            # one loaded driver share them: each reader gets its own copy of the driver
            driver = VPCD_DRIVER if i == 0 else base / f"libifdvpcd-{i}.so"
            if driver != VPCD_DRIVER:
                shutil.copyfile(VPCD_DRIVER, driver)
            port = FIRST_PORT + PORT_STEP * i
            entries.append(
                f'FRIENDLYNAME "{name}"\nDEVICENAME   /dev/null:{port}\n'
                f"LIBPATH      {driver}\nCHANNELID    {port}\n"
            )
        # one file, so that pcscd (and OpenSC's reader and slot numbers) keep this order
        (conf / "vpcd").write_text("\n".join(entries))
        self.socket = run / "pcscd.comm"
        self.env = {"PCSCLITE_CSOCK_NAME": str(self.socket)}
        self._log = (base / "pcscd.log").open("wb")
        unshare = ["unshare", "--mount", "--net", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare.insert(1, "--map-root-user")
        script = (
            "ip link set lo up && mkdir -p /run/pcscd && "
            f"mount --bind {run} /run/pcscd && exec pcscd --foreground --config {conf}"
        )
        self.pcscd = subprocess.Popen(
            [*unshare, "sh", "-c", script], stdout=self._log, stderr=subprocess.STDOUT
        )
        self._cards: dict[int, subprocess.Popen[bytes]] = {}
        try:
            self.wait(self.socket.exists, "pcscd's socket")
        except BaseException:
            self.close()
            raise

    def wait(self, ready: Callable[[], bool], what: str) -> None:
        """Poll ``ready`` until it holds; fail when pcscd dies or after the timeout."""
        deadline = time.monotonic() + self.timeout
        while not ready():
            if self.pcscd.poll() is not None:
                raise RuntimeError(f"pcscd exited: {self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}: {self.logs()}")
            time.sleep(0.05)

    def logs(self) -> str:
        self._log.flush()
        return (self.base / "pcscd.log").read_text(errors="replace")[-3000:]

    def slot_name(self, index: int) -> str:
        """The PC/SC name of slot ``index`` (pcsc-lite adds ``00 00`` or ``00 01``)."""
        return f"{self.names[index // PORT_STEP]} 00 {index % PORT_STEP:02d}"

    def cards_present(self) -> dict[str, bool]:
        """Every slot pcscd shows, and whether a card is in it (asked in a child process:
        pcsc-lite reads PCSCLITE_CSOCK_NAME once per process)."""
        proc = subprocess.run(
            [sys.executable, "-c", _LIST_READERS],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=30,
            check=False,
        )
        if proc.returncode != 0:
            return {}
        return {name: present for name, present in json.loads(proc.stdout)}

    def insert(
        self, index: int, card_id: str, data_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        """Put the vault's card ``card_id`` in slot ``index`` and wait until pcscd sees it."""
        if index in self._cards:
            raise RuntimeError(f"slot {index} has a card already")
        self._cards[index] = subprocess.Popen(
            [
                "nsenter",
                f"--net=/proc/{self.pcscd.pid}/ns/net",
                "--",
                *madoguchi_command(),
                "card",
                "serve-vpcd",
                card_id,
                "--port",
                str(self.ports[index]),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        slot = self.slot_name(index)
        self.wait(lambda: self._card_in(index, slot), f"card {card_id} in {slot}")

    def _card_in(self, index: int, slot: str) -> bool:
        card = self._cards[index]
        if card.poll() is not None:
            _, err = card.communicate()
            del self._cards[index]
            raise RuntimeError(f"serve-vpcd exited: {err.decode(errors='replace')[-2000:]}")
        return self.cards_present().get(slot, False)

    def remove(self, index: int) -> str:
        """Pull the card out (SIGTERM to serve-vpcd); returns what serve-vpcd printed."""
        card = self._cards.pop(index)
        card.send_signal(signal.SIGTERM)
        out, err = card.communicate(timeout=15)
        if card.returncode != 0:
            raise RuntimeError(err.decode(errors="replace"))
        slot = self.slot_name(index)
        self.wait(lambda: not self.cards_present().get(slot, False), f"{slot} to be empty")
        return out.decode(errors="replace")

    def close(self) -> None:
        """Pull every card out and stop pcscd."""
        for card in self._cards.values():
            card.terminate()
        for card in self._cards.values():
            try:
                card.wait(timeout=10)
            except subprocess.TimeoutExpired:
                card.kill()
                card.wait()
        self._cards.clear()
        self.pcscd.terminate()
        try:
            self.pcscd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.pcscd.kill()
            self.pcscd.wait()
        self._log.close()
