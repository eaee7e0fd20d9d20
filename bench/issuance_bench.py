"""Full issuances per second: the CA and store side of an issuance, in one process.

One issuance = what the counter's ``issue`` does with the CA and the store for a holder's
two certificates: for ``auth`` then ``sign``, ``CaService.issue_in`` (the card's proof of
possession checked, the certificate signed and verified, recorded with its sequence number,
the OCSP ``good`` answer pre-signed and stored), an audit entry appended to the hash chain
per certificate, and the transaction committed. Card key generation is excluded: the card
keys are a pool of pre-generated RSA-2048 keys whose proofs of possession were signed
beforehand, so the figure is about the CA path (on a real card, key generation takes
seconds and happens on the card).

Peer: ``openssl speed -seconds 3 rsa2048`` signatures per second in one process, divided by
two (two certificates per issuance): the physical limit of signing two certificates.

Run: ``.venv/bin/python -m bench.issuance_bench [--quick]``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from sqlalchemy import event

from bench import report
from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki import ocsp
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import new_challenge, pop_digest, verify_pop
from madoguchi.pki.profiles import EndEntityRequest, new_subject_id
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import verify_chain
from madoguchi.services.ca import CaService

KINDS = (CertKind.AUTH, CertKind.SIGN)  # auth first, as the counter does (it caps sign)
EXPIRES = date(2031, 7, 1)
POOL = 8  # pre-generated card keys
FACTS = HolderFacts.create("帯広 花子", "2", date(1985, 7, 1), "北海道帯広市西5条南7丁目1番地")

CardKey = tuple[bytes, bytes, bytes]  # SPKI DER, challenge, proof-of-possession signature


def card_keys(count: int = POOL) -> list[CardKey]:
    """RSA-2048 card keys with their proofs of possession, made before the clock starts."""
    out = []
    for _ in range(count):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        challenge = new_challenge()
        pop = key.sign(
            pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
        out.append((spki, challenge, pop))
    return out


def container(data_dir: Path, database_url: str | None = None) -> Container:
    c = Container(
        Settings(data_dir=data_dir, database_url=database_url, ca_passphrase="bench-" * 4),
        lambda: datetime.now(UTC),
    )
    c.init_ca()
    return c


def issue_one(c: Container, ca: CaService, keys: list[CardKey], i: int) -> None:
    """One issuance: two certificates signed, stored, audited, committed."""
    with c.uow() as uow:
        for n, kind in enumerate(KINDS):
            spki, challenge, pop = keys[(2 * i + n) % len(keys)]
            record = ca.issue_in(
                uow,
                kind=kind,
                spki_der=spki,
                challenge=challenge,
                pop_signature=pop,
                expires_on=EXPIRES,
                facts=FACTS,
                card_id=f"bench-card-{i}",
            )
            uow.counter.append_audit(
                at=ca.clock(),
                clerk="bench",
                office="main",
                terminal="B1",
                action="certificate.issue",
                case_id=f"bench-case-{i}",
                certificate=f"{kind.value}:{record.serial_hex}",
                detail={"expires": EXPIRES.isoformat()},
            )
        uow.commit()


def signatures_only(ca: CaService, keys: list[CardKey], i: int) -> None:
    """The cryptography of one issuance as issue_in does it, without the store: the proof
    of possession checked, the certificate built, signed and verified, the OCSP answer signed."""
    for n, kind in enumerate(KINDS):
        spki, challenge, pop = keys[(2 * i + n) % len(keys)]
        public_key = serialization.load_der_public_key(spki)
        assert isinstance(public_key, rsa.RSAPublicKey)
        verify_pop(public_key, spki, challenge, pop)
        now = ca.clock()
        req = EndEntityRequest(
            kind=kind,
            public_key=public_key,
            serial=x509.random_serial_number(),
            subject_id=new_subject_id(),
            not_before=now,
            not_after=end_of_day_jst(EXPIRES),
            crl_url=ca.policy.crl_url(kind, 0),
            ocsp_url=ca.policy.ocsp_url,
            ca_issuers_url=ca.policy.ca_issuers_url(kind),
            facts=FACTS if kind is CertKind.SIGN else None,
        )
        cert = ca.authorities[kind].issue(req)
        record = CertRecord(
            kind=kind,
            serial=req.serial,
            seq=i,
            partition=0,
            subject_id=req.subject_id,
            card_id=None,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            der=cert.public_bytes(serialization.Encoding.DER),
            status=CertStatus.GOOD,
        )
        ocsp.build_response(
            ca.authorities[kind],
            req.serial,
            record,
            algorithm=ocsp.SUPPORTED_HASHES["sha1"],
            this_update=now,
            next_update=now + ca.policy.ocsp_validity,
        )


class NoPresignCa(CaService):
    """A variant for comparison only: no OCSP answer pre-signed at issuance (it would be
    signed at the first request, as ``ocsp_answer`` does on a cache miss)."""

    def _presign(self, uow: Any, record: CertRecord, now: datetime) -> None:
        return None


def rate(step: Callable[[int], None], n: int, start: int, runs: int = report.RUNS) -> float:
    """Median issuances per second over ``runs`` runs of ``n``."""
    counter = iter(range(start, start + 10 * n * (runs + 1)))
    for _ in range(min(20, n)):  # warm-up: caches, compiled statements, the WAL
        step(next(counter))
    times = report.timed(lambda: [step(next(counter)) for _ in range(n)], runs)
    return n / report.median(times)


def full_sync(c: Container) -> None:
    """SQLite: fsync at every commit (synchronous=FULL) instead of the store's NORMAL."""

    @event.listens_for(c.engine, "connect")
    def _full(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    c.engine.dispose()


def check_store(c: Container, expected: int) -> None:
    """The certificates are there and the audit chain verifies."""
    with c.uow() as uow:
        count = uow.pki.count(CertKind.AUTH) + uow.pki.count(CertKind.SIGN)
        chain = verify_chain(uow.counter.audit_entries())
    assert count == expected, (count, expected)
    assert chain.ok and chain.checked == expected, chain


def run(quick: bool) -> report.Result:
    n = 40 if quick else 300
    runs = report.RUNS
    peer_signs = report.openssl_rsa2048_signs(1 if quick else 3)
    peer = peer_signs / 2
    peer_name = f"openssl speed rsa2048: {peer_signs:,.0f} signatures/s ÷ 2"
    keys = card_keys()
    figures = []
    notes = []
    with tempfile.TemporaryDirectory(prefix="bench-issuance-") as name:
        tmp = Path(name)
        c = container(tmp / "sqlite")
        ca = c.ca
        done = 0

        def store_step(i: int) -> None:
            issue_one(c, ca, keys, i)

        sqlite_rate = rate(store_step, n, 0)
        done += min(20, n) + n * runs
        check_store(c, 2 * done)
        figures.append(
            report.figure(
                "SQLite store (WAL, synchronous=NORMAL)",
                sqlite_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                target=">= 0.5",
            )
        )

        pg_url = report.postgres_url("issuance")
        pg_rate = None
        if pg_url is not None:
            pg = container(tmp / "pg", pg_url)
            pg_ca = pg.ca
            pg_rate = rate(lambda i: issue_one(pg, pg_ca, keys, i), n, 0)
            check_store(pg, 2 * (min(20, n) + n * runs))
            pg.engine.dispose()
            figures.append(
                report.figure(
                    "PostgreSQL store",
                    pg_rate,
                    "issuances/s",
                    peer=peer,
                    peer_name=peer_name,
                    target=">= 0.5",
                )
            )

        full_sync(c)
        full_rate = rate(store_step, n, 10**6)
        figures.append(
            report.figure(
                "SQLite, synchronous=FULL (fsync per commit)",
                full_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="for comparison",
            )
        )
        c.engine.dispose()

        c2 = container(tmp / "nopresign")
        plain = c2.ca
        variant = NoPresignCa(c2.uow, plain.authorities, plain.policy, plain.clock)
        nopresign_rate = rate(lambda i: issue_one(c2, variant, keys, i), n, 0)
        c2.engine.dispose()
        figures.append(
            report.figure(
                "variant: no OCSP answer pre-signed at issuance (SQLite)",
                nopresign_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="what the change proposed below would give",
            )
        )

        crypto_rate = rate(lambda i: signatures_only(ca, keys, i), n, 0)
        figures.append(
            report.figure(
                "the cryptography alone, no store (4 RSA signatures + 2 verifications)",
                crypto_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="the ceiling of the CA path as written",
            )
        )

    ms = 1000 / sqlite_rate
    crypto_ms = 1000 / crypto_rate
    notes += [
        "Timed: per issuance, for `auth` then `sign`, `CaService.issue_in` (proof of "
        "possession checked, certificate built, signed with the CA key and verified, stored "
        "with its sequence number and partition, the OCSP `good` answer signed by the "
        "responder and stored), one hash-chained audit entry per certificate, one commit. "
        "Afterwards the store holds every certificate and the audit chain verifies. "
        f"{n} issuances per run, {runs} runs, median; one process, one connection.",
        f"Excluded: card key generation. {POOL} pre-generated RSA-2048 card keys are reused, "
        "each with its proof of possession signed beforehand (on a card, key generation "
        "takes seconds and runs on the card, not in the CA). The counter's own steps (case "
        "state, letter, fee, the virtual card's encrypted file) are not in this figure.",
        f"Where the time goes (SQLite): {ms:.2f} ms per issuance, of which "
        f"{crypto_ms:.2f} ms are the cryptography (measured alone: "
        f"{crypto_rate:,.0f} issuances/s) and {ms - crypto_ms:.2f} ms the store (10 SQL "
        "statements, BEGIN and COMMIT) and the Python around it. An RSA-2048 signature costs "
        f"{1000 / peer_signs:.3f} ms in `openssl speed`.",
        "**Why the target (≥ 0.5× of openssl's signatures ÷ 2) is missed, and cannot be met "
        "by the store**: an issuance makes **four** RSA-2048 signatures, not two — each "
        "certificate, and each certificate's OCSP `good` answer, which the design pre-signs "
        "in the issuance's transaction (docs/pki.md). Four signatures at openssl's own speed "
        "are exactly 0.5× of the peer, so the target is the ceiling with zero overhead; "
        f"the cryptography alone, through pyca/cryptography, reaches {crypto_rate / peer:.2f}×.",
        "What would meet it (a change in `services/ca.py`, not made here: another helper "
        "owns that file): (1) do not pre-sign the `good` answer inside the issuance — sign "
        "it at the first OCSP request (the cache-miss path of `ocsp_answer` already does) "
        "or in a background job right after the commit; the variant above measures that "
        f"path: {nopresign_rate:,.0f} issuances/s = {nopresign_rate / peer:.2f}×. "
        "(2) Sign before taking the write lock: `issue_in` draws the sequence number first "
        "(`next_value`, an UPDATE that takes SQLite's write lock, PostgreSQL's row lock) and "
        "holds the lock through both signatures; reserving sequence numbers in blocks per "
        "process would let two processes sign in parallel on the two cores and commit "
        "briefly. (1) and (2) together: ≈ 2 × the variant's rate on this 2-core machine.",
        "What was fixed in the store, found with cProfile: before this work the same "
        "benchmark measured 165 issuances/s on this machine. A profile of 300 issuances "
        "(2.99 s) gave `issue_in` 1.89 s, of which the signing was about 0.47 s; "
        "`next_counter` 1.17 s, `append_audit` 0.87 s, `put_ocsp` 0.51 s (a `session.get` "
        "SELECT before every insert): the ORM cost more than the SQL — `session.add` and a "
        "flush per row, ORM-enabled UPDATEs, and statements rebuilt with literal values, over "
        "whose every value SQLAlchemy computes a cache key. Now the hot rows (certificate, OCSP "
        "answer as one upsert, counters, audit entries) are Core statements built once with "
        "bound parameters (`store/repositories.py`, `store/counter_repository.py`); the audit "
        "entry's sequence number and its predecessor's hash come back from one UPDATE … "
        "RETURNING; the subject id is drawn from 15 random bytes instead of 24 "
        f"`secrets.choice` calls (`pki/profiles.py`). Result: {sqlite_rate:,.0f} issuances/s. "
        "An issuance is now 10 statements plus BEGIN IMMEDIATE and COMMIT.",
        "Durability: the store runs SQLite in WAL mode with synchronous=NORMAL (store/db.py): "
        "a commit is not flushed to disk until the checkpoint; a power cut can lose the last "
        "transactions but never corrupts the database. With synchronous=FULL (an fsync per "
        f"commit) the rate is {full_rate:,.0f} issuances/s on this machine's disk. "
        + report.POSTGRES_NOTE,
    ]
    if pg_rate is None:
        notes.append(f"PostgreSQL not measured: {report.POSTGRES_PROBLEM}.")
    else:
        notes.append(
            f"PostgreSQL: {1000 / pg_rate:.2f} ms per issuance, {1000 / pg_rate - crypto_ms:.2f} "
            "ms beyond the cryptography: each of the 10 statements, BEGIN and COMMIT is a round "
            "trip to the server over loopback TCP (and the pool pings the connection at every "
            "checkout, `pool_pre_ping`, store/db.py), and the server shares the two cores with "
            "the benchmark."
        )
    return report.result(
        "issuance",
        "Full issuances per second (two certificates, CA and store)",
        figures,
        notes,
        {"issuances_per_run": n, "runs": runs, "card_keys": POOL},
    )


if __name__ == "__main__":
    res = run("--quick" in sys.argv[1:])
    report.print_table([res])
    for note in res["notes"]:
        print("-", note)
