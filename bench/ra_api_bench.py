"""Issuances per second through the RA API against the in-process path, same run (issue 17).

One issuance = one registration authority's order for a holder's two certificates (``auth``
and ``sign``, the card's proofs of possession, the holder's facts, a fresh idempotency key),
answered by the CA service: ``RaDesk.issue`` — the caller's credential looked up, the order
signed and recorded with its idempotency key and municipality, one commit.

- **Through the RA API**: two RA processes (帯広市 012076 and 札幌市 011002, each with its
  own `ca enroll-ra` credential) send their orders over HTTPS with mutual TLS to a real
  `madoguchi ca serve`, each on one keep-alive connection (the handshake made before the
  clock starts), one order at a time each, both at once. Issuances per second = the orders
  of both ÷ the wall time from "go" until both have their answers.
- **Peer, the in-process path**: the same ``RaDesk.issue`` called in this process, one
  thread, on the same store: what the CA costs without the network, TLS, JSON and HTTP.
- Second row: the same two RA processes, each against its own `ca serve` over the same
  store (two CA processes behind what would be one address).

The store is PostgreSQL when a server can start (the national shape), else SQLite.

Run: ``.venv/bin/python -m bench --only ra_api [--quick]``.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import report
from bench.issuance_bench import EXPIRES, FACTS, KINDS, CardKey, card_keys
from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.services import ca_wire
from madoguchi.services.ports import IssueOrder, IssueRequest
from madoguchi.services.ra_desk import RaDesk

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
PASSPHRASE = "bench-ra-api-" * 2
RAS = (("012076", "帯広市 戸籍住民課"), ("011002", "札幌市 市民課"))
HANG_GUARD = 600  # seconds: only stops a hung child, never a speed requirement


def _order(keys: list[CardKey], municipality: str, i: int) -> IssueOrder:
    requests = []
    for n, kind in enumerate(KINDS):
        spki, challenge, pop = keys[(2 * i + n) % len(keys)]
        requests.append(
            IssueRequest(kind, spki, challenge, pop, EXPIRES, FACTS, f"bench-{municipality}-{i}")
        )
    return IssueOrder(tuple(requests), municipality, uuid.uuid4().hex)


# -- an RA process ---------------------------------------------------------------------------
def client_main(url: str, credentials: Path, municipality: str) -> None:
    """One RA: a keep-alive mutual-TLS connection; on ``go N`` from stdin, N orders one after
    the other, then ``done SECONDS``; ``quit`` ends it."""
    keys = card_keys(4)
    context = ssl.create_default_context(cafile=str(credentials / "ca-tls.pem"))
    context.load_cert_chain(str(credentials / "client.pem"), str(credentials / "client.key"))
    limits = httpx.Limits(max_keepalive_connections=1, max_connections=1)
    with httpx.Client(base_url=url, verify=context, timeout=120, limits=limits) as client:
        assert client.get("/ra/v1/whoami").json() == {"municipality": municipality}
        i = 0
        print("ready", flush=True)
        for line in sys.stdin:
            command = line.split()
            if not command or command[0] == "quit":
                break
            count = int(command[1])
            bodies = [ca_wire.order_json(_order(keys, municipality, i + j)) for j in range(count)]
            i += count
            t0 = time.perf_counter()
            for body in bodies:
                answer = client.post("/ra/v1/issue", json=body)
                if answer.status_code != 200:
                    raise SystemExit(f"issue answered {answer.status_code}: {answer.text}")
            print(f"done {time.perf_counter() - t0:.6f}", flush=True)


class Ra:
    def __init__(self, url: str, credentials: Path, code: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ra_api_bench", "client", url, str(credentials), code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=report.ROOT,
        )
        self._expect("ready")

    def _expect(self, word: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            raise RuntimeError(f"RA process: expected {word!r}, got {line!r}")
        return line

    def go(self, count: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"go {count}\n")
        self.proc.stdin.flush()

    def done(self) -> float:
        return float(self._expect("done").split()[1])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- the CA service --------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port, public = _free_port(), _free_port()
    args = ["--data-dir", str(data_dir), "--port", str(port), "--public-port", str(public)]
    proc = subprocess.Popen(
        [str(MADOGUCHI), "ca", "serve", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + HANG_GUARD
    for line in proc.stdout:  # the readiness line, not a sleep
        if line.startswith("madoguchi ca serve: ready"):
            return proc, f"https://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("ca serve did not print its readiness line")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def through_api(urls: list[str], credentials: dict[str, Path], n: int, runs: int) -> float:
    """Median issuances/s of the two RA processes together (``n`` orders each a run)."""
    ras = [Ra(urls[k % len(urls)], credentials[code], code) for k, (code, _) in enumerate(RAS)]
    try:
        for ra in ras:  # warm-up: the server's compiled statements, the threads, the pool
            ra.go(5)
        for ra in ras:
            ra.done()
        rates = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for ra in ras:
                ra.go(n)
            for ra in ras:
                ra.done()
            rates.append(len(ras) * n / (time.perf_counter() - t0))
        return report.median(rates)
    finally:
        for ra in ras:
            ra.close()


def run(quick: bool) -> report.Result:
    n = 15 if quick else 100  # orders per RA process per run
    local_n = 2 * n
    runs = report.RUNS
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-ra-") as tmp:
        root = Path(tmp)
        url = report.postgres_url("ra_api")
        store = "PostgreSQL" if url else "SQLite"
        data = root / "ca"
        env = {"MADOGUCHI_CA_PASSPHRASE": PASSPHRASE}
        if url:
            env["MADOGUCHI_DATABASE_URL"] = url
        settings = Settings(data_dir=data, database_url=url, ca_passphrase=PASSPHRASE)
        c = Container(settings, lambda: datetime.now(UTC)).init_ca()
        credentials = {}
        for code, name in RAS:
            credentials[code] = root / f"ra-{code}"
            c.ra_enrolment.enroll(code, name, credentials[code])

        # the in-process path: the same desk, this process, one thread
        desk = RaDesk(c.ca)
        keys = card_keys(4)
        counter = iter(range(10**9))
        for _ in range(10):
            desk.issue(_order(keys, RAS[0][0], next(counter)))
        times = report.timed(
            lambda: [desk.issue(_order(keys, RAS[0][0], next(counter))) for _ in range(local_n)],
            runs,
        )
        local = local_n / report.median(times)
        c.engine.dispose()

        one, one_url = serve(data, env)
        try:
            api_one = through_api([one_url], credentials, n, runs)
        finally:
            stop(one)
        second: tuple[subprocess.Popen[str], str] | None = None
        api_two: float | None = None
        if url:  # two CA processes over one store: PostgreSQL only (the national shape)
            data_b = root / "ca-b"
            data_b.mkdir()
            os.symlink(data / "keys", data_b / "keys")  # the CA key store, shared
            first, first_url = serve(data, env)
            try:
                second = serve(data_b, env)
                api_two = through_api([first_url, second[1]], credentials, n, runs)
            finally:
                stop(first)
                if second is not None:
                    stop(second[0])

    peer_name = f"in-process `RaDesk.issue`, one thread, {store}"
    figures = [
        report.figure(
            f"RA API, two RA processes → one `ca serve` ({store})",
            api_one,
            "issuances/s",
            peer=local,
            peer_name=peer_name,
            target=">= 0.5",
            notes="mutual TLS, keep-alive, one order at a time per RA",
        )
    ]
    if api_two is not None:
        figures.append(
            report.figure(
                f"RA API, two RA processes → two `ca serve` over one {store}",
                api_two,
                "issuances/s",
                peer=local,
                peer_name=peer_name,
                notes="each RA on its own CA process",
            )
        )
    return report.result(
        "ra_api",
        "Issuances per second through the RA API (mutual TLS) against the in-process path",
        figures,
        _notes(n=n, local_n=local_n, runs=runs, store=store, rates=(local, api_one, api_two)),
        {"orders_per_ra_per_run": n, "in_process_per_run": local_n, "runs": runs},
    )


def _notes(
    *, n: int, local_n: int, runs: int, store: str, rates: tuple[float, float, float | None]
) -> list[str]:
    local, one, two = rates
    notes = [
        "Timed through the API: two RA processes (帯広市 and 札幌市, each its own "
        "`ca enroll-ra` credential), each with one keep-alive HTTPS connection with mutual "
        "TLS to `madoguchi ca serve` (handshake and five warm-up orders before the clock), "
        f"send {n} orders each, one after the other, both at once; issuances/s = {2 * n} ÷ "
        "the wall time until both have all their answers. Each order: two certificates "
        "(`auth`, `sign`) with the card's proofs of possession and the holder's facts, a "
        "fresh idempotency key; the CA checks the credential against its store, verifies "
        "both proofs, signs both certificates, records them with the order and the "
        f"municipality, one commit. {runs} runs, median.",
        f"Peer: the same `RaDesk.issue` called in the benchmark's process, one thread, on "
        f"the same {store} store ({local_n} orders a run, {runs} runs, median): the CA "
        "without the network, TLS, JSON or HTTP. The RA processes' own card keys are "
        "pre-generated (a pool of four RSA-2048 keys with their proofs of possession).",
        f"Per issuance: in process {1000 / local:.1f} ms; through the API {1000 / one:.1f} ms "
        f"of wall time with two orders in flight ({2000 / one:.1f} ms each order's round "
        "trip). Beyond the CA's own work an order costs the JSON (base64 of the keys and "
        "certificates) both ways, h11 and uvicorn, FastAPI's threadpool hop, the caller's "
        "credential looked up in the store, and the AES-GCM of the TLS record; the two RA "
        "processes and the CA service share the machine's two cores with PostgreSQL.",
    ]
    if two is not None:
        notes.append(
            f"Two `ca serve` processes over the one {store}, each RA on its own: "
            f"{two:,.1f} issuances/s ({two / local:.2f}× the in-process path). On a two-core "
            "machine a second CA process can only use what the first leaves idle while it "
            "waits on the store and the network; on a host with more cores each CA process "
            "adds about one core of signing (see docs/architecture.md, the national figures)."
        )
    notes.append(
        "The machine is shared with other sessions and loaded while this ran: the absolute "
        "figures move with its load; the ratio, measured in the same run, less so."
    )
    return notes


if __name__ == "__main__":
    if sys.argv[1:2] == ["client"]:
        client_main(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
    else:
        res = run("--quick" in sys.argv[1:])
        report.print_table([res])
        for note in res["notes"]:
            print("-", note)
