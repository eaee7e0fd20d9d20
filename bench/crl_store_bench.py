"""A CRL of 1,000,000 revoked entries, from the store to a DER file, vs ``openssl ca -gencrl``.

The store is filled (bulk inserts, not timed) with 1,000,000 revoked ``sign`` certificates:
the rows the repository expects, each with a real certificate's DER (about 1.3 kB) and its
precomputed CRL entry (``pki.crl.encode_entry``), the same entries bench/crl_bench.py gives
openssl as an ``index.txt``. Timed: ``CrlPublisher.publish`` — a unit of work, the CRL
number drawn, the entries read from the store in order (``PkiRepository.crl_entries``),
written and signed by the streaming writer to a file, the CRL recorded, committed.

Run: ``.venv/bin/python -m bench.crl_store_bench [--quick]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bench import crl_bench, report, store_fill
from bench.issuance_bench import FACTS, card_keys
from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki import crl
from madoguchi.rules.validity import CertKind

NOW = crl_bench.NOW
PARTITION = 100_000
COLUMNS = (
    "kind",
    "serial_hex",
    "seq",
    "partition",
    "subject_id",
    "card_id",
    "not_before",
    "not_after",
    "der",
    "status",
    "status_changed_at",
    "reason",
    "crl_entry",
)


def container(data_dir: Path, database_url: str | None = None) -> Container:
    c = Container(
        Settings(data_dir=data_dir, database_url=database_url, ca_passphrase="bench-" * 4),
        lambda: NOW,
    )
    c.init_ca()
    return c


def sample_der(c: Container) -> bytes:
    """A real signing certificate of this CA (with the four facts), as every row's DER."""
    spki, challenge, pop = card_keys(1)[0]
    rec = c.ca.issue(
        kind=CertKind.SIGN,
        spki_der=spki,
        challenge=challenge,
        pop_signature=pop,
        expires_on=date(2031, 7, 1),
        facts=FACTS,
        card_id=None,
    )
    with c.engine.begin() as conn:  # the store holds only the million below
        conn.exec_driver_sql("DELETE FROM certificates")
        conn.exec_driver_sql("DELETE FROM ocsp_responses")
    return rec.der


def rows(
    entries: list[crl.RevokedEntry], encoded: list[bytes], der: bytes
) -> Iterator[tuple[Any, ...]]:
    """The certificate rows of the entries, in the repository's columns (times aware UTC)."""
    for seq, (e, entry) in enumerate(zip(entries, encoded, strict=True)):
        yield (
            "sign",
            f"{e.serial:x}",
            seq,
            seq // PARTITION,
            f"BENCH{seq:019d}",
            None,
            e.revoked_at - timedelta(days=30),
            e.not_after,
            der,
            "revoked",
            e.revoked_at,
            int(e.reason),
            entry,
        )


def fill(c: Container, entries: list[crl.RevokedEntry], encoded: list[bytes], der: bytes) -> None:
    url = c.settings.db_url
    c.engine.dispose()
    if url.startswith("sqlite"):
        store_fill.sqlite_bulk(
            store_fill.sqlite_path(url), "certificates", COLUMNS, rows(entries, encoded, der)
        )
    else:
        store_fill.postgres_bulk(url, "certificates", COLUMNS, rows(entries, encoded, der))


def publish(c: Container, out: Path) -> crl.CrlInfo:
    with out.open("wb") as f:
        return c.crls.publish(CertKind.SIGN, f)


def read_only(c: Container) -> int:
    """The store's part alone: the entries read in order, nothing written."""
    with c.uow() as uow:
        return sum(1 for _ in uow.pki.crl_entries(CertKind.SIGN, NOW))


def read_before(c: Container) -> float:
    """The repository's read as it was before issue 7 (ORM rows, ``ORDER BY seq``), one run."""
    from sqlalchemy import select

    from madoguchi.rules.revocation import CertStatus
    from madoguchi.store.models import CertificateRow

    stmt = (
        select(CertificateRow.crl_entry)
        .where(
            CertificateRow.kind == "sign",
            CertificateRow.status != CertStatus.GOOD.value,
            CertificateRow.not_after >= NOW,
        )
        .order_by(CertificateRow.seq)
    )
    start = time.perf_counter()
    with c.uow() as uow:
        n = sum(1 for _ in uow.session.scalars(stmt.execution_options(yield_per=10_000)))
    assert n > 0
    return time.perf_counter() - start


def measure(c: Container, tmp: Path, count: int, label: str) -> tuple[float, float, crl.CrlInfo]:
    """(median publication seconds, seconds to read the entries alone, the CRL's info)."""
    out = tmp / f"{label}.crl"
    # a first publication, checked; it also brings the pages into the OS cache, as on a
    # running server
    info = publish(c, out)
    assert info.entry_count == count, (info.entry_count, count)
    ca_pem = tmp / "sign-ca.pem"
    ca_pem.write_bytes(
        c.ca.authorities[CertKind.SIGN].cert.public_bytes(serialization.Encoding.PEM)
    )
    crl_bench.openssl_verify(out, ca_pem)
    parsed = x509.load_der_x509_crl(out.read_bytes())
    assert len(parsed) == count
    del parsed
    times = report.timed(lambda: publish(c, out))
    read_s = report.timed(lambda: read_only(c), runs=1)[0]
    return report.median(times), read_s, info


def run(quick: bool) -> report.Result:
    count = 50_000 if quick else 1_000_000
    entries = crl_bench.entries_of(count)
    encoded = crl_bench.encoded_of(count)
    figures: list[report.Figure] = []
    notes: list[str] = []
    theirs = report.median(crl_bench.openssl_gencrl(count))
    peer_name = "openssl ca -gencrl over index.txt, same entries"
    with tempfile.TemporaryDirectory(prefix="bench-crl-store-") as name:
        tmp = Path(name)
        c = container(tmp / "sqlite")
        der = sample_der(c)
        start = time.perf_counter()
        fill(c, entries, encoded, der)
        fill_s = time.perf_counter() - start
        db_mib = store_fill.sqlite_path(c.settings.db_url).stat().st_size / 2**20
        ours, read_s, info = measure(c, tmp, count, "sqlite")
        before_s = read_before(c)
        c.engine.dispose()
        figures.append(
            report.figure(
                f"SQLite: CrlPublisher.publish, {count:,} entries → DER file",
                ours,
                "s",
                peer=theirs,
                peer_name=peer_name,
                better="lower",
                target="<= 0.7",
            )
        )
        notes.append(
            f"SQLite: store filled in {fill_s:.0f} s (bench/store_fill.py, not timed; "
            f"{db_mib:,.0f} MiB). Of the {ours:.2f} s, reading the {count:,} entries in order "
            f"through the repository alone takes {read_s:.2f} s (one run); the rest is the writer "
            f"(spooling, SHA-256, the signature) and the file. CRL: {info.size / 2**20:.1f} MiB; "
            "`openssl crl -inform DER -CAfile sign-ca.pem` says `verify OK` and cryptography "
            f"parses all {count:,} entries."
        )
        notes.append(
            "Changed for this benchmark (`store/repositories.py`, `crl_entries`): the entries "
            "are read as Core rows streamed 10,000 a fetch, in row-id order instead of "
            "`ORDER BY seq`. The same order (the sequence counter's lock serialises issuers, "
            "so id and seq grow together), but the database reads the table in its own order "
            "instead of sorting: SQLite chose the `not_after` index and a temporary B-tree for "
            f"`seq`. The old read (ORM, `ORDER BY seq`) takes {before_s:.2f} s here (one run) "
            f"against {read_s:.2f} s now."
        )

        url = report.postgres_url("crlstore")
        if url is not None:
            pg = container(tmp / "pg", url)
            der = sample_der(pg)
            start = time.perf_counter()
            fill(pg, entries, encoded, der)
            fill_s = time.perf_counter() - start
            pg_ours, pg_read, pg_info = measure(pg, tmp, count, "pg")
            pg.engine.dispose()
            figures.append(
                report.figure(
                    f"PostgreSQL: the same, {count:,} entries",
                    pg_ours,
                    "s",
                    peer=theirs,
                    peer_name=peer_name,
                    better="lower",
                    target="<= 0.7",
                )
            )
            notes.append(
                f"PostgreSQL: store filled in {fill_s:.0f} s (COPY, not timed). Reading the "
                f"entries alone: {pg_read:.2f} s (one run; a server-side cursor, 10,000 rows a "
                "fetch). "
                f"CRL {pg_info.size / 2**20:.1f} MiB, verifies likewise. " + report.POSTGRES_NOTE
            )
        else:
            notes.append(f"PostgreSQL not measured: {report.POSTGRES_PROBLEM}.")
    notes.insert(
        0,
        f"The store holds {count:,} revoked `sign` certificates (random 20-octet serials, "
        "four in five with a reasonCode, expiring over the next five years), each row with a "
        f"real certificate's DER ({len(der):,} bytes) and its CRL entry's DER computed at "
        "revocation. Timed: `CrlPublisher.publish(sign, file)`, the full CRL, median of "
        f"{report.RUNS} runs after one warm-up (the pages in the OS cache, as on a running "
        "server). openssl writes the same entries from an `index.txt` (bench/crl_bench.py: "
        "the same measurement as the CRL writer's benchmark of this run).",
    )
    return report.result(
        "crl_store",
        "CRL of 1,000,000 revoked entries from the store to a DER file",
        figures,
        notes,
        {"entries": count, "runs": report.RUNS},
    )


if __name__ == "__main__":
    res = run("--quick" in sys.argv[1:])
    report.print_table([res])
    for note in res["notes"]:
        print("-", note)
