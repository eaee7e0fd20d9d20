"""`madoguchi ca serve` as a real process the fault tests start, stop and kill (issue 17)."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import httpx

from tests.support.processes import MADOGUCHI, OutputLines, free_port

HANG_GUARD = 300


class CaProcess:
    """`madoguchi ca serve` on fixed loopback ports: started, stopped, killed, started again."""

    def __init__(self, data: Path, credentials: Path) -> None:
        self.data, self.credentials = data, credentials
        self.port, self.public_port = free_port(), free_port()
        self.proc: subprocess.Popen[str] | None = None

    def start(self, failpoint: str | None = None) -> None:
        env = {**os.environ}
        env.pop("MADOGUCHI_FAILPOINT", None)
        if failpoint:
            env["MADOGUCHI_FAILPOINT"] = failpoint
        self.proc = subprocess.Popen(
            [
                str(MADOGUCHI),
                "ca",
                "serve",
                "--data-dir",
                str(self.data),
                "--port",
                str(self.port),
                "--public-port",
                str(self.public_port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        OutputLines(self.proc).wait_for("madoguchi ca serve: ready", HANG_GUARD)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def client(self, url: str | None = None) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.credentials / "ca-tls.pem"))
        context.load_cert_chain(
            str(self.credentials / "client.pem"), str(self.credentials / "client.key")
        )
        return httpx.Client(
            base_url=url or f"https://127.0.0.1:{self.port}", verify=context, timeout=30
        )

    def certificates_of_card(self, card_id: str) -> list[dict[str, object]]:
        """What the CA holds for the card (its RA API, not through the proxy)."""
        with self.client() as client:
            answer = client.get(f"/ra/v1/cards/{card_id}/certificates")
        assert answer.status_code == 200, answer.text
        items = answer.json()["certificates"]
        assert isinstance(items, list)
        return items
