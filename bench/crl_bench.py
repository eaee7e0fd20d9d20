"""CRL publication speed: madoguchi's streaming writer vs ``openssl ca -gencrl``.

Both write a CRL of the same revoked entries (default 1,000,000). Ours starts from entry bytes
already encoded (what the store keeps per revoked certificate); openssl starts from an
``index.txt`` of the same entries. Also measured: joining everything into one bytes object
instead of streaming (the alternative the writer rejects), and peak Python memory.

Run: ``.venv/bin/python -m bench.crl_bench [entries] [--simple]``. By default the entries look
like ours: random 20-octet serials, four reasons in five carry a reasonCode. ``--simple`` uses
short sequential serials and no reasons (openssl's time depends much on that shape).
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from madoguchi.pki import crl, der
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.revocation import RevocationReason

R = RevocationReason
REASONS = [R.UNSPECIFIED, R.KEY_COMPROMISE, R.AFFILIATION_CHANGED, R.SUPERSEDED]
REASONS += [R.CESSATION_OF_OPERATION]
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
RUNS = 3


def make_ca(signer: KeySigner) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "madoguchi bench CA - not J-LIS")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key)
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer.public_key), False)
        .sign(signer.private_key, hashes.SHA256())
    )


def make_entries(count: int, *, simple: bool = False) -> list[crl.RevokedEntry]:
    rng = random.Random(20261124)
    if simple:
        then, until = NOW - timedelta(days=30), NOW + timedelta(days=365)
        return [crl.RevokedEntry(i + 1, then, R.UNSPECIFIED, until) for i in range(count)]
    serials: set[int] = set()
    while len(serials) < count:
        serials.add(rng.getrandbits(159) | 1 << 150)  # 20-octet serials, as issued
    return [
        crl.RevokedEntry(
            serial,
            NOW - timedelta(seconds=rng.randrange(5 * 365 * 86400)),
            rng.choice(REASONS),
            NOW + timedelta(days=rng.randrange(1, 5 * 365)),
        )
        for serial in serials
    ]


def best_of(fn: Callable[[], object]) -> tuple[float, float]:
    """(best, median) wall seconds over RUNS runs."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def joined_crl(
    path: Path, signer: KeySigner, ca: x509.Certificate, encoded: list[bytes], ski: bytes
) -> None:
    """The rejected alternative: one bytes object of the whole TBSCertList, signed at once."""
    body = b"".join(encoded)
    aki_value = der.octet_string(der.sequence(der.tlv(0x80, ski)))
    aki = der.sequence(der.object_identifier("2.5.29.35"), aki_value)
    number = der.sequence(der.object_identifier("2.5.29.20"), der.octet_string(der.integer(1)))
    tbs = der.sequence(
        der.integer(1),
        der.SHA256_WITH_RSA,
        ca.subject.public_bytes(),
        der.time_value(NOW),
        der.time_value(NOW + timedelta(days=2)),
        der.tlv(0x30, body),
        der.tlv(0xA0, der.sequence(aki, number)),
    )
    path.write_bytes(
        der.signed(tbs, signer.private_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()))
    )


OPENSSL_CNF = """\
[ca]
default_ca = CA_default
[CA_default]
dir = {dir}
database = $dir/index.txt
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_crl_days = 2
crl_extensions = crl_ext
unique_subject = no
[crl_ext]
authorityKeyIdentifier = keyid:always
"""


def openssl_time(when: datetime) -> str:
    return when.strftime("%y%m%d%H%M%SZ")


def setup_openssl(
    tmp: Path, signer: KeySigner, ca: x509.Certificate, entries: list[crl.RevokedEntry]
) -> Path:
    (tmp / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp / "ca.key").write_bytes(
        signer.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp / "crlnumber").write_text("01\n")
    (tmp / "index.txt.attr").write_text("unique_subject = no\n")
    with (tmp / "index.txt").open("w") as index:
        for i, e in enumerate(entries):
            revoked = openssl_time(e.revoked_at)
            if e.reason is not R.UNSPECIFIED:
                revoked += "," + e.reason.rfc_name
            serial = f"{e.serial:X}"
            serial = serial if len(serial) % 2 == 0 else "0" + serial
            index.write(f"R\t{openssl_time(e.not_after)}\t{revoked}\t{serial}\tunknown\t/CN=h{i}\n")
    cnf = tmp / "ca.cnf"
    cnf.write_text(OPENSSL_CNF.format(dir=tmp))
    return cnf


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    simple = "--simple" in sys.argv[1:]
    count = int(args[0]) if args else 1_000_000
    signer = KeySigner.generate()
    ca = make_ca(signer)
    ski = x509.SubjectKeyIdentifier.from_public_key(signer.public_key).digest
    print(f"machine: {platform.processor() or platform.machine()}, {cpu_model()}")
    shape = "short serials, no reasons" if simple else "20-octet serials, 80% with a reason"
    print(f"python {platform.python_version()}, {openssl_version()}")
    print(f"entries: {count:,} ({shape})")

    entries = make_entries(count, simple=simple)
    start = time.perf_counter()
    encoded = [crl.encode_entry(e) for e in entries]
    print(f"encode_entry x{count:,} (once, at revocation): {time.perf_counter() - start:.2f} s")

    with tempfile.TemporaryDirectory(prefix="crl-bench-") as name:
        tmp = Path(name)
        ours = tmp / "ours.crl"

        def write(spooled: bool) -> crl.CrlInfo:
            with ours.open("wb") as out:
                return crl.write_crl(
                    out,
                    issuer_name_der=ca.subject.public_bytes(),
                    authority_key_id=ski,
                    crl_number=1,
                    this_update=NOW,
                    next_update=NOW + timedelta(days=2),
                    entries=iter(encoded) if spooled else encoded,
                    signer=signer,
                )

        for spooled, label in ((False, "list, read twice"), (True, "iterator, spooled")):
            best, median = best_of(partial(write, spooled))
            peak = peak_mib(partial(write, spooled))
            print(
                f"madoguchi write_crl ({label}): best {best:.2f} s, median {median:.2f} s, "
                f"peak +{peak:.0f} MiB of Python allocations"
            )
        info = write(True)
        parsed = x509.load_der_x509_crl(ours.read_bytes())
        assert len(parsed) == count and parsed.is_signature_valid(signer.public_key)
        print(f"  CRL: {info.size / 2**20:.1f} MiB, parses, {len(parsed):,} entries, signature OK")
        ca_pem = tmp / "ca.pem"
        ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        check = subprocess.run(
            [
                "openssl",
                "crl",
                "-inform",
                "DER",
                "-in",
                str(ours),
                "-noout",
                "-CAfile",
                str(ca_pem),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        verdict = (check.stdout + check.stderr).strip() or f"exit {check.returncode}"
        assert check.returncode == 0, verdict
        print(f"  openssl crl -CAfile: {verdict}")

        joined = tmp / "joined.crl"
        best, median = best_of(lambda: joined_crl(joined, signer, ca, encoded, ski))
        peak = peak_mib(lambda: joined_crl(joined, signer, ca, encoded, ski))
        print(
            f"join-everything variant: best {best:.2f} s, median {median:.2f} s, peak +{peak:.0f} MiB"
        )

        cnf = setup_openssl(tmp, signer, ca, entries)
        cmd = ["openssl", "ca", "-gencrl", "-config", str(cnf), "-out", str(tmp / "openssl.crl")]

        def run_openssl() -> None:
            subprocess.run(cmd, check=True, capture_output=True)

        best, median = best_of(run_openssl)
        theirs = x509.load_pem_x509_crl((tmp / "openssl.crl").read_bytes())
        assert len(theirs) == count
        print(f"openssl ca -gencrl (index.txt -> PEM): best {best:.2f} s, median {median:.2f} s")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return "unknown CPU"


def openssl_version() -> str:
    proc = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip()


if __name__ == "__main__":
    main()
