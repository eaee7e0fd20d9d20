"""Benchmark 3: OCSP answers per second over HTTP on loopback, 2 cores, keep-alive.

Ours: ``madoguchi serve --workers 2`` on a data dir with both CAs and a few thousand issued
certificates (some revoked), driven by ``wrk -t2`` with keep-alive, rotating over the RFC 5019
GET paths of every certificate's request (SHA-1 CertID, no nonce: what clients send).

Peers in the same run, on the same certificates:

- ``openssl ocsp -index index.txt -port … -rsigner … -rkey … -CA …``, the responder of the
  brief (one process; it closes every connection, which ``wrk`` cannot handle, so it is driven
  by a client that opens one connection per request), and the same with ``-multi 2`` (both
  cores);
- nginx serving one static file of the answer's size (the HTTP limit here), and nginx serving
  the files ``madoguchi ca export-ocsp`` wrote, with the configuration docs/pki.md gives;
  openssl checks one exported answer (good) and one of a revoked certificate (revoked).

Run: ``.venv/bin/python -m bench.ocsp_bench [--quick]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bench.report import figure, result
from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.ocsp import build_request, get_path
from madoguchi.pki.pop import new_challenge, pop_digest
from madoguchi.pki.records import CertRecord
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.ocsp_export import presign_missing

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
NGINX = "/usr/sbin/nginx"
KIND = CertKind.SIGN  # openssl's responder answers for one CA: all peers get the same set
THREADS, CONNECTIONS = 2, 32
CLOSE_CLIENTS = 4  # concurrent one-connection-per-request clients for the openssl peer
FACTS = HolderFacts.create("帯広 太郎", "1", date(1980, 7, 1), "北海道帯広市西5条南7丁目1番地")
REASONS = [
    RevocationReason.AFFILIATION_CHANGED,
    RevocationReason.KEY_COMPROMISE,
    RevocationReason.CESSATION_OF_OPERATION,
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the world -----------------------------------------------------------------------------
def build_world(data: Path, count: int) -> tuple[Container, list[CertRecord]]:
    """Both CAs and ``count`` signing certificates, one in twenty revoked, via the services."""
    c = Container(Settings(data_dir=data))
    c.init_ca()
    ca = c.ca
    keys = [KeySigner.generate() for _ in range(4)]  # the CA does not mind a reused key
    records = []
    for i in range(count):
        key = keys[i % len(keys)]
        spki = key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        challenge = new_challenge()
        sig = key.private_key.sign(
            pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
        records.append(
            ca.issue(
                kind=KIND,
                spki_der=spki,
                challenge=challenge,
                pop_signature=sig,
                expires_on=date(2030, 7, 1),
                facts=FACTS,
                card_id=None,
            )
        )
    for n, i in enumerate(range(7, count, 20)):
        records[i] = ca.revoke(KIND, records[i].serial, REASONS[n % len(REASONS)])
    # an issuance signs no OCSP answer (services/ca.py): the job that signs them in batches
    # after issuances, as a deployment runs it, so the responder finds them in the store
    presign_missing(ca, c.ocsp_reader)
    return c, records


def lua_script(path: Path, paths: list[str], *, close: bool = False) -> Path:
    """A wrk script rotating over ``paths``, each thread from its own offset."""
    header = ', {["Connection"] = "close"}' if close else ""
    body = ",\n".join(f'"{p}"' for p in paths)
    path.write_text(
        f"paths = {{\n{body}\n}}\n"
        "local threads = 0\n"
        "function setup(thread)\n"
        "  thread:set('offset', threads * 7919)\n"
        "  threads = threads + 1\n"
        "end\n"
        "function init(args)\n"
        "  i = offset % #paths\n"
        "end\n"
        "function request()\n"
        "  i = i % #paths + 1\n"
        f'  return wrk.format("GET", paths[i]{header})\n'
        "end\n"
    )
    return path


# -- processes -----------------------------------------------------------------------------
@contextlib.contextmanager
def process(
    cmd: list[str], log: Path, *, new_session: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """A server in its own process group, stopped (group and all) on the way out.
    (``openssl ocsp -multi`` makes its own group, and exits when it cannot: no new session.)"""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # openssl -multi's children ignore TERM
        proc.wait()


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            httpx.get(url, timeout=1, headers={"connection": "close"})
            return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.1)


@contextlib.contextmanager
def madoguchi_serve(data: Path, tmp: Path, workers: int = 2) -> Iterator[str]:
    port = free_port()
    log = tmp / "serve.log"
    cmd = [str(MADOGUCHI), "serve", "--data-dir", str(data), "--port", str(port)]
    with process([*cmd, "--workers", str(workers)], log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", proc, log)
        yield base


NGINX_CONF = """\
worker_processes 2;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-tmp;
  proxy_temp_path {tmp}/nginx-tmp;
  fastcgi_temp_path {tmp}/nginx-tmp;
  uwsgi_temp_path {tmp}/nginx-tmp;
  scgi_temp_path {tmp}/nginx-tmp;

  # --- as docs/pki.md gives it: the exported answers, the live responder for the rest ---
  map $request_uri $ocsp_file {{
    ~^/ocsp/(?<name>[A-Za-z0-9%]+)$  $name;
    default                          "-";
  }}
  server {{
    listen 127.0.0.1:{port};
    merge_slashes off;
    location /ocsp/ {{
      root {export};
      default_type application/ocsp-response;
      add_header Cache-Control "max-age=300, public, no-transform, must-revalidate";
      try_files /$ocsp_file @madoguchi;
    }}
    location = /ocsp {{ proxy_pass {upstream}; }}
    location @madoguchi {{ proxy_pass {upstream}; }}
    # --- the HTTP limit: one static file of the answer's size ---
    location = /one.der {{ root {tmp}; default_type application/ocsp-response; }}
  }}
}}
"""


@contextlib.contextmanager
def nginx(tmp: Path, export: Path, upstream: str) -> Iterator[str]:
    port = free_port()
    (tmp / "nginx-tmp").mkdir(exist_ok=True)
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(user=user, tmp=tmp, port=port, export=export, upstream=upstream)
    )
    log = tmp / "nginx.log"
    cmd = [NGINX, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"]
    with process(cmd, log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/one.der", proc, log)
        yield base


@contextlib.contextmanager
def openssl_responder(tmp: Path, multi: int = 1) -> Iterator[str]:
    port = free_port()
    cmd = ["openssl", "ocsp", "-index", str(tmp / "index.txt"), "-port", str(port)]
    cmd += ["-rsigner", str(tmp / "responder.pem"), "-rkey", str(tmp / "responder.key")]
    cmd += ["-CA", str(tmp / "ca.pem"), "-ndays", "1", "-rmd", "sha256"]
    if multi > 1:
        cmd += ["-multi", str(multi)]
    log = tmp / f"openssl-ocsp-{multi}.log"
    with process(cmd, log, new_session=multi == 1) as proc:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        # a probing connection would upset it (one request, then it may give up): wait
        # for the line it logs when it listens, and its -multi children a moment more
        while b"ACCEPT" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"openssl ocsp did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        time.sleep(0.3)
        yield base


def openssl_files(tmp: Path, c: Container, records: list[CertRecord]) -> None:
    """index.txt of the same certificates, our CA and our responder's key for openssl."""
    authority = c.ca.authorities[KIND]
    (tmp / "ca.pem").write_bytes(authority.cert.public_bytes(Encoding.PEM))
    (tmp / "responder.pem").write_bytes(authority.responder_cert.public_bytes(Encoding.PEM))
    (tmp / "responder.key").write_bytes(
        authority.responder_signer.private_key.private_bytes(
            Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with (tmp / "index.txt").open("w") as index:
        for r in records:
            serial = f"{r.serial:X}"
            serial = serial if len(serial) % 2 == 0 else "0" + serial
            expiry = r.not_after.strftime("%y%m%d%H%M%SZ")
            if r.status_changed_at is None:
                index.write(f"V\t{expiry}\t\t{serial}\tunknown\t/CN={r.subject_id}\n")
            else:
                revoked = r.status_changed_at.strftime("%y%m%d%H%M%SZ")
                reason = r.reason.rfc_name if r.reason is not None else "unspecified"
                index.write(
                    f"R\t{expiry}\t{revoked},{reason}\t{serial}\tunknown\t/CN={r.subject_id}\n"
                )
    (tmp / "index.txt.attr").write_text("unique_subject = no\n")


# -- load ----------------------------------------------------------------------------------
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, script: Path | None, seconds: float) -> dict[str, float]:
    """requests/s, p50 and p99 in ms, errors (non-2xx and socket errors) of one wrk run."""
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if rate is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    lat = {
        p: float(v) * _UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    requests = re.search(r"(\d+) requests in", out)
    return {
        "rate": float(rate.group(1)),
        "p50": lat.get("50", float("nan")),
        "p99": lat.get("99", float("nan")),
        "errors": errors,
        "requests": float(requests.group(1)) if requests else 0.0,
    }


def one_per_connection(base: str, paths: list[str], seconds: float) -> dict[str, float]:
    """Concurrent clients, each opening one connection per request (HTTP/1.0, read to
    EOF): what ``openssl ocsp`` as a responder supports."""
    host, port = base.removeprefix("http://").split(":")
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(k: int) -> None:
        mine, i = [], k * 7919
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                with socket.create_connection((host, int(port)), timeout=10) as s:
                    s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
                    chunks = []
                    while chunk := s.recv(65536):
                        chunks.append(chunk)
                ok = b"".join(chunks).split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]
            except OSError:
                ok = False
            if ok:
                mine.append(time.perf_counter() - start)
            else:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLOSE_CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    n = len(latencies)
    return {
        "rate": n / elapsed,
        "p50": latencies[n // 2] * 1e3 if n else float("nan"),
        "p99": latencies[min(n - 1, int(n * 0.99))] * 1e3 if n else float("nan"),
        "errors": errors[0],
        "requests": float(n),
    }


def fetch_once(base: str, path: str) -> bytes:
    """One GET on its own connection (HTTP/1.0, read to EOF): the body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).split(b"\r\n\r\n", 1)[1]


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median rate (its own p50/p99), errors summed over all runs."""
    ordered = sorted(runs, key=lambda r: r["rate"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["errors"] = sum(r["errors"] for r in runs)
    chosen["rates"] = [round(r["rate"]) for r in runs]  # type: ignore[assignment]
    return chosen


# -- checks --------------------------------------------------------------------------------
def openssl_status(tmp: Path, response: bytes, cert_der: bytes, name: str) -> str:
    """`openssl ocsp -respin … -issuer … -cert … -CAfile …`: the status line, or a failure."""
    (tmp / f"{name}.der").write_bytes(response)
    (tmp / f"{name}.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\n" + _b64_lines(cert_der) + b"-----END CERTIFICATE-----\n"
    )
    ca = str(tmp / "ca.pem")
    proc = subprocess.run(
        [
            "openssl",
            "ocsp",
            "-respin",
            str(tmp / f"{name}.der"),
            "-issuer",
            ca,
            "-cert",
            str(tmp / f"{name}.pem"),
            "-CAfile",
            ca,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Response verify OK" not in out:
        return f"FAILED: {out.strip()[-300:]}"
    return out.split(f"{name}.pem: ", 1)[1].split()[0]


def _b64_lines(der: bytes) -> bytes:
    import base64

    text = base64.b64encode(der)
    return b"".join(text[i : i + 64] + b"\n" for i in range(0, len(text), 64))


def openssl_via_url(tmp: Path, url: str, cert_der: bytes, name: str) -> str:
    """`openssl ocsp -url … -issuer … -cert …` (openssl's client always POSTs)."""
    openssl_status(tmp, b"", cert_der, name)  # writes the PEM
    ca = str(tmp / "ca.pem")
    proc = subprocess.run(
        [
            "openssl",
            "ocsp",
            "-url",
            url,
            "-issuer",
            ca,
            "-cert",
            str(tmp / f"{name}.pem"),
            "-CAfile",
            ca,
            "-no_nonce",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Response verify OK" not in out:
        return f"FAILED: {out.strip()[-300:]}"
    return out.split(f"{name}.pem: ", 1)[1].split()[0]


def revoking(c: Container, serials: list[int], every: float, stop: threading.Event) -> None:
    """Another process's revocations (its own container: the server hears of them only
    through the store), one every ``every`` seconds."""
    for serial in serials:
        if stop.wait(every):
            return
        c.ca.revoke(KIND, serial, RevocationReason.AFFILIATION_CHANGED)


# -- the benchmark -------------------------------------------------------------------------
def run(quick: bool) -> dict[str, Any]:
    count = 300 if quick else 3000
    seconds = 2.0 if quick else 4.0  # wrk takes whole seconds
    runs = 1 if quick else 3
    for tool in ("wrk", NGINX, "openssl"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is not installed (make bench installs wrk; scripts/sysdeps.sh installs nginx)"
            )
    load_at_start = os.getloadavg()[0]  # other work on the machine skews every figure
    with tempfile.TemporaryDirectory(prefix="ocsp-bench-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx's workers read the exported files
        data = tmp / "data"
        started = time.perf_counter()
        c, records = build_world(data, count)
        setup_s = time.perf_counter() - started
        authority = c.ca.authorities[KIND]
        requests = [build_request(authority, r.serial) for r in records]
        names = [get_path(req) for req in requests]
        ours_paths = [f"/ocsp/{n}" for n in names]
        script = lua_script(tmp / "ocsp.lua", ours_paths)
        openssl_paths = [f"/{n}" for n in names]  # openssl's responder takes GET /{base64}
        openssl_files(tmp, c, records)
        good = next(r for r in records if r.status_changed_at is None)
        revoked = next(r for r in records if r.status_changed_at is not None)

        export = tmp / "static"
        began = time.perf_counter()
        exported = json.loads(
            subprocess.run(
                [
                    str(MADOGUCHI),
                    "ca",
                    "export-ocsp",
                    "--out",
                    str(export),
                    "--data-dir",
                    str(data),
                    "--json",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        export_s = time.perf_counter() - began
        answer_size = len(next(iter(export.glob("MF*"))).read_bytes())
        (tmp / "one.der").write_bytes(os.urandom(answer_size))
        checks: dict[str, str] = {}

        with madoguchi_serve(data, tmp) as ours_url:
            reply = httpx.get(ours_url + ours_paths[records.index(revoked)], timeout=10).content
            checks["ours: revoked certificate"] = openssl_status(tmp, reply, revoked.der, "o1")
            wrk(ours_url, script, 1.0)  # the workers read each pre-signed answer once
            ours = median_run([wrk(ours_url, script, seconds) for _ in range(runs)])
            ours_close = one_per_connection(ours_url, ours_paths, seconds)
            # revocations from another process while under load (R-REV-4: every one drops
            # the CA's answers from both workers' memory; they are read again)
            other = Container(Settings(data_dir=data)).start()  # loaded before the run
            victims = [r.serial for r in records if r.status_changed_at is None][-20:]
            stop = threading.Event()
            revoker = threading.Thread(target=revoking, args=(other, victims, 0.5, stop))
            revoker.start()
            under_revocations = wrk(ours_url, script, seconds)
            stop.set()
            revoker.join()
            fresh = httpx.get(ours_url + ours_paths[records.index(good)], timeout=10).content
            checks["ours: good certificate"] = openssl_status(tmp, fresh, good.der, "o2")
            revoked_count = sum(
                1
                for s in victims
                if other.ca.certificate(KIND, s).status.value != "good"  # type: ignore[union-attr]
            )

            with nginx(tmp, export, ours_url) as nginx_url:
                for label, record in (("good", good), ("revoked", revoked)):
                    req = build_request(authority, record.serial)
                    (tmp / "req.der").write_bytes(req)
                    served = httpx.get(f"{nginx_url}/ocsp/{get_path(req)}", timeout=10)
                    from_file = served.content == (export / get_path(req)).read_bytes()
                    status = openssl_status(tmp, served.content, record.der, f"n-{label}")
                    checks[f"nginx, exported file, {label} certificate"] = (
                        status if from_file else f"FAILED: not the exported file ({status})"
                    )
                checks["openssl ocsp -url via nginx (POST, proxied)"] = openssl_via_url(
                    tmp, f"{nginx_url}/ocsp", good.der, "n-post"
                )
        # ours stopped: nginx alone, then openssl alone
        with nginx(tmp, export, "http://127.0.0.1:9") as nginx_url:
            wrk(nginx_url, script, 1.0)
            exported_rate = median_run([wrk(nginx_url, script, seconds) for _ in range(runs)])
            one_file = wrk(nginx_url + "/one.der", None, seconds)
        with openssl_responder(tmp) as ossl_url:
            reply = fetch_once(ossl_url, openssl_paths[0])
            checks["openssl responder: first certificate"] = openssl_status(
                tmp, reply, records[0].der, "s1"
            )
            ossl = median_run(
                [one_per_connection(ossl_url, openssl_paths, seconds) for _ in range(runs)]
            )
        with openssl_responder(tmp, multi=2) as ossl_url:
            ossl_multi = one_per_connection(ossl_url, openssl_paths, seconds)

    bad = {k: v for k, v in checks.items() if v.startswith("FAILED")}
    if bad:
        raise RuntimeError(f"an OCSP answer failed openssl's check: {bad}")
    figures = [
        figure(
            "madoguchi serve --workers 2, wrk keep-alive GET, vs openssl ocsp (one process)",
            ours["rate"],
            "answers/s",
            peer=ossl["rate"],
            peer_name="openssl ocsp -index, one process, a connection per request",
            target=">= 5",
            notes=f"ours p99 {ours['p99']:.1f} ms, p50 {ours['p50']:.2f} ms, "
            f"{ours['errors']:.0f} errors; openssl p99 {ossl['p99']:.1f} ms",
        ),
        figure(
            "same, vs openssl ocsp -multi 2 (both cores)",
            ours["rate"],
            "answers/s",
            peer=ossl_multi["rate"],
            peer_name="openssl ocsp -multi 2, a connection per request",
            notes=f"openssl -multi 2 p99 {ossl_multi['p99']:.1f} ms",
        ),
        figure(
            "p99 latency, wrk -t2 -c32",
            ours["p99"],
            "ms",
            peer=ossl["p99"],
            peer_name="openssl ocsp p99 (4 clients, a connection each request)",
            better="lower",
        ),
        figure(
            "ours with openssl's client (a new connection per request)",
            ours_close["rate"],
            "answers/s",
            peer=ossl["rate"],
            peer_name="openssl ocsp -index, one process",
            notes=f"p99 {ours_close['p99']:.1f} ms",
        ),
        figure(
            "ours while another process revokes twice a second",
            under_revocations["rate"],
            "answers/s",
            peer=ours["rate"],
            peer_name="ours without revocations",
            notes=f"{revoked_count} revoked during the run, p99 "
            f"{under_revocations['p99']:.1f} ms, {under_revocations['errors']:.0f} errors",
        ),
        figure(
            "ours vs nginx serving one static file of the answer's size",
            ours["rate"],
            "answers/s",
            peer=one_file["rate"],
            peer_name="nginx, 2 workers, one file (the HTTP limit here)",
        ),
        figure(
            "nginx serving the exported answers (madoguchi ca export-ocsp)",
            exported_rate["rate"],
            "answers/s",
            peer=one_file["rate"],
            peer_name="nginx, one static file",
            notes=f"p99 {exported_rate['p99']:.1f} ms, {exported_rate['errors']:.0f} errors; "
            f"openssl: exported good → {checks['nginx, exported file, good certificate']}, "
            f"revoked → {checks['nginx, exported file, revoked certificate']}",
        ),
        figure(
            f"madoguchi ca export-ocsp, {exported['answers']:,} answers",
            export_s,
            "s",
            better="lower",
            notes=f"{exported['answers'] / export_s:,.0f} files/s (CLI start included)",
        ),
    ]
    notes = [
        f"{count:,} signing certificates (one in twenty revoked) issued through "
        "`CaService.issue` with proof of possession (four card keys reused: key generation "
        "would dominate the set-up), their OCSP answers then signed in batches by "
        "`presign_missing` (an issuance signs none: docs/pki.md), "
        f"{setup_s:.0f} s in all. Every server answers GET requests "
        "for all of them in turn (the RFC 5019 path of a SHA-1 CertID request without nonce, "
        "byte for byte what `openssl ocsp -no_nonce` builds), each wrk thread from its own "
        f"offset; `wrk -t{THREADS} -c{CONNECTIONS} -d{seconds:g}s --latency`, after a 1 s "
        "warm-up in which each worker reads every pre-signed answer once. "
        f"Median of {runs} runs (rates of the runs: ours {ours['rates']}, openssl "
        f"{ossl['rates']}, nginx exported {exported_rate['rates']}). wrk, the servers and "
        "the Python client share the same 2 cores.",
        "openssl's responder closes every connection and wrk cannot drive it (it stalls), so "
        f"it is driven by {CLOSE_CLIENTS} Python threads each opening one connection per "
        "request (HTTP/1.0, read to EOF). The same client against ours gives the row "
        "*ours with openssl's client*: the gap to wrk is the TCP handshake and the client, "
        "not the responder. `openssl ocsp -multi 2` uses both cores.",
        "What makes ours fast: a request seen before is answered on the event loop from a "
        "dictionary of the pre-signed DER answers keyed by the request's bytes "
        "(`OcspResponder.from_memory`), in front of FastAPI as a plain ASGI endpoint — no "
        "routing, middleware, thread hop, session or signature. Before each answer from "
        "memory the four counters `status-gen:*`/`issue-seq:*` are read (one SELECT on a "
        "dedicated autocommit connection, about 5 µs on SQLite): after a hold or revocation "
        "committed by any process, each answer is read again from the store once, by "
        "primary key on that connection, before it is served (R-REV-4). The *revokes twice "
        "a second* row is that cost at a rate far above a city's (each revocation makes both "
        "workers re-read all the answers they serve; the revoking process signs in the same "
        "2 cores). Measured before this change, on this machine with 2,000 certificates and "
        "the same wrk settings: about 850 answers/s with one worker and p99 0.9 s (a "
        "SQLAlchemy session and `BEGIN IMMEDIATE` per request, 73% of `OcspResponder.answer`'s 225 µs "
        "in the ORM, then BaseHTTPMiddleware and a thread hop); `--workers 2` did not start "
        "(uvicorn needs an import string for several workers).",
        "Checks with openssl (`openssl ocsp -respin … -issuer … -cert … -CAfile …`, "
        "'Response verify OK' required): "
        + "; ".join(f"{k}: {v}" for k, v in checks.items())
        + ". openssl 3.0's client only POSTs, which no static file server can map to a "
        "file: the documented nginx configuration (docs/pki.md) serves exported files for "
        "GET and passes POST, and GETs for certificates issued since the last export, to "
        "`madoguchi serve`.",
    ]
    return result(
        "ocsp",
        "OCSP answers per second over HTTP (loopback, 2 cores, keep-alive)",
        figures,
        notes,
        params={
            "certificates": count,
            "seconds per run": seconds,
            "runs": runs,
            "wrk": f"-t{THREADS} -c{CONNECTIONS}",
            "answer bytes": answer_size,
            "load average at start": round(load_at_start, 2),
        },
    )


def main() -> None:
    from bench.report import print_table

    res = run("--quick" in sys.argv[1:])
    print_table([res])
    for note in res["notes"]:
        print("-", note)


if __name__ == "__main__":
    main()
