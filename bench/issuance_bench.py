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
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import new_challenge, pop_digest, verify_pop
from madoguchi.pki.profiles import EndEntityRequest, end_entity_builder, new_subject_id
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import verify_chain
from madoguchi.services.ca import SHA1, CaService, IssueRequest

KINDS = (CertKind.AUTH, CertKind.SIGN)  # auth first, as the counter does (it caps sign)
EXPIRES = date(2031, 7, 1)
POOL = 8  # pre-generated card keys
BULK, BULK_QUICK = 50, 10  # issuances a transaction on the bulk path
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


def _requests(keys: list[CardKey], i: int) -> list[IssueRequest]:
    out = []
    for n, kind in enumerate(KINDS):
        spki, challenge, pop = keys[(2 * i + n) % len(keys)]
        out.append(IssueRequest(kind, spki, challenge, pop, EXPIRES, FACTS, f"bench-card-{i}"))
    return out


def _audits(ca: CaService, records: list[CertRecord], i: int) -> list[dict[str, Any]]:
    return [
        {
            "at": ca.clock(),
            "clerk": "bench",
            "office": "main",
            "terminal": "B1",
            "action": "certificate.issue",
            "case_id": f"bench-case-{i}",
            "certificate": f"{rec.kind.value}:{rec.serial_hex}",
            "detail": {"expires": EXPIRES.isoformat()},
        }
        for rec in records
    ]


def issue_one(c: Container, ca: CaService, keys: list[CardKey], i: int) -> None:
    """One issuance as the counter makes it (services/cardside.py ``certify``): both
    certificates signed and stored (``issue_many_in``), their audit entries appended, one
    commit."""
    with c.uow() as uow:
        records = ca.issue_many_in(uow, _requests(keys, i))
        uow.counter.append_audits(_audits(ca, records, i))
        uow.commit()


def issue_bulk(c: Container, ca: CaService, keys: list[CardKey], i: int, size: int) -> None:
    """``size`` issuances (issuances ``i*size …``) in one transaction: bulk issuance."""
    block = range(i * size, (i + 1) * size)
    with c.uow() as uow:
        records = ca.issue_many_in(uow, [r for j in block for r in _requests(keys, j)])
        uow.counter.append_audits(
            [a for j in block for a in _audits(ca, records[2 * (j - i * size) :][:2], j)]
        )
        uow.commit()


def _request(ca: Any, kind: CertKind, public_key: rsa.RSAPublicKey) -> EndEntityRequest:
    """The end-entity request the CA path signs (the four facts on the signing certificate)."""
    return EndEntityRequest(
        kind=kind,
        public_key=public_key,
        serial=x509.random_serial_number(),
        subject_id=new_subject_id(),
        not_before=ca.clock(),
        not_after=end_of_day_jst(EXPIRES),
        crl_url=ca.policy.crl_url(kind, 0),
        ocsp_url=ca.policy.ocsp_url,
        ca_issuers_url=ca.policy.ca_issuers_url(kind),
        facts=FACTS if kind is CertKind.SIGN else None,
    )


def signatures_only(ca: CaService, keys: list[CardKey], i: int) -> None:
    """The cryptography of one issuance as issue_many_in does it, without the store: the
    proof of possession checked, the certificate built, signed and verified."""
    for n, kind in enumerate(KINDS):
        spki, challenge, pop = keys[(2 * i + n) % len(keys)]
        public_key = serialization.load_der_public_key(spki)
        assert isinstance(public_key, rsa.RSAPublicKey)
        verify_pop(public_key, spki, challenge, pop)
        req = _request(ca, kind, public_key)
        cert = ca.authorities[kind].issue(req)
        cert.public_bytes(serialization.Encoding.DER)


class PresignCa(CaService):
    """The previous design, for comparison in the same run: each certificate's OCSP `good`
    answer signed and stored inside the issuance (four signatures an issuance)."""

    def issue_many_in(self, uow: Any, requests: Any) -> list[CertRecord]:
        records = super().issue_many_in(uow, requests)
        now = self.clock()
        for rec in records:
            der, next_update = self._sign_answer(rec, rec.kind, rec.serial, SHA1, now)
            uow.pki.put_ocsp(rec.kind, rec.serial, der, now, next_update)
        return records


def rate(
    step: Callable[[int], None], n: int, start: int, runs: int = report.RUNS, warm: int = 20
) -> float:
    """Median steps per second over ``runs`` runs of ``n``."""
    counter = iter(range(start, start + 10 * n * (runs + 1)))
    for _ in range(min(warm, n)):  # warm-up: caches, compiled statements, the WAL
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
    bulk = BULK_QUICK if quick else BULK
    runs = report.RUNS
    peer_signs = report.openssl_rsa2048_signs(1 if quick else 3)
    peer = peer_signs / 2
    peer_name = f"openssl speed rsa2048: {peer_signs:,.0f} signatures/s ÷ 2"
    keys = card_keys()
    figures = []
    issued = {"sqlite": 0, "pg": 0}

    def counted(store: str, step: Callable[[int], None], size: int) -> Callable[[int], None]:
        def run_step(i: int) -> None:
            step(i)
            issued[store] += size

        return run_step

    def measure(store: str, c: Container, ca: CaService, start: int) -> tuple[float, float]:
        """(one transaction an issuance, ``bulk`` issuances a transaction), issuances/s."""
        single = rate(counted(store, lambda i: issue_one(c, ca, keys, i), 1), n, start)
        blocks = max(2, n // bulk)
        grouped = bulk * rate(
            counted(store, lambda i: issue_bulk(c, ca, keys, i, bulk), bulk),
            blocks,
            (start + 10**5) // bulk,
            warm=2,
        )
        check_store(c, 2 * issued[store])
        return single, grouped

    with tempfile.TemporaryDirectory(prefix="bench-issuance-") as name:
        tmp = Path(name)
        c = container(tmp / "sqlite")
        ca = c.ca
        sqlite_rate, sqlite_bulk = measure("sqlite", c, ca, 0)
        figures.append(
            report.figure(
                "SQLite store (WAL, synchronous=NORMAL), one transaction an issuance",
                sqlite_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                target=">= 0.5",
            )
        )
        figures.append(
            report.figure(
                f"SQLite, bulk issuance: {bulk} issuances a transaction (group commit)",
                sqlite_bulk,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                target=">= 0.5",
            )
        )

        pg_url = report.postgres_url("issuance")
        pg_rate = pg_bulk = None
        if pg_url is not None:
            pg = container(tmp / "pg", pg_url)
            pg_rate, pg_bulk = measure("pg", pg, pg.ca, 0)
            pg.engine.dispose()
            figures.append(
                report.figure(
                    "PostgreSQL store, one transaction an issuance",
                    pg_rate,
                    "issuances/s",
                    peer=peer,
                    peer_name=peer_name,
                    target=">= 0.5",
                )
            )
            figures.append(
                report.figure(
                    f"PostgreSQL, bulk issuance: {bulk} issuances a transaction",
                    pg_bulk,
                    "issuances/s",
                    peer=peer,
                    peer_name=peer_name,
                    target=">= 0.5",
                )
            )

        full_sync(c)
        full_rate = rate(lambda i: issue_one(c, ca, keys, i), n, 10**6)
        figures.append(
            report.figure(
                "SQLite, synchronous=FULL (fsync per commit), one transaction an issuance",
                full_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="for comparison",
            )
        )
        c.engine.dispose()

        c2 = container(tmp / "presign")
        plain = c2.ca
        variant = PresignCa(c2.uow, plain.authorities, plain.policy, plain.clock)
        presign_rate = rate(lambda i: issue_one(c2, variant, keys, i), n, 0)
        c2.engine.dispose()
        figures.append(
            report.figure(
                "before: the OCSP `good` answers signed inside the issuance (SQLite)",
                presign_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="the previous design, same run",
            )
        )

        crypto_rate = rate(lambda i: signatures_only(ca, keys, i), n, 0)
        cert_parts = parts(ca, keys, 50 if quick else 300)
        figures.append(
            report.figure(
                "the cryptography alone, no store (2 RSA signatures + 4 verifications)",
                crypto_rate,
                "issuances/s",
                peer=peer,
                peer_name=peer_name,
                notes="the ceiling of the CA path",
            )
        )

    notes = _notes(
        ms=cert_parts,
        n=n,
        runs=runs,
        bulk=bulk,
        peer=peer,
        peer_signs=peer_signs,
        rates={
            "sqlite": sqlite_rate,
            "sqlite_bulk": sqlite_bulk,
            "pg": pg_rate,
            "pg_bulk": pg_bulk,
            "full": full_rate,
            "presign": presign_rate,
            "crypto": crypto_rate,
        },
    )
    return report.result(
        "issuance",
        "Full issuances per second (two certificates, CA and store)",
        figures,
        notes,
        {"issuances_per_run": n, "runs": runs, "card_keys": POOL, "bulk": bulk},
    )


def parts(ca: CaService, keys: list[CardKey], n: int) -> dict[str, float]:
    """ms per step of one certificate, timed alone: pyca's RSA-2048 signature of a digest,
    building the certificate (cryptography's builder), building and signing it, verifying
    it, the card's proof of possession verified."""
    kind = CertKind.SIGN
    authority = ca.authorities[kind]
    private_key = authority.signer.private_key
    assert private_key is not None
    spki, challenge, pop = keys[0]
    public_key = serialization.load_der_public_key(spki)
    assert isinstance(public_key, rsa.RSAPublicKey)
    req = _request(ca, kind, public_key)
    builder = end_entity_builder(req, authority.names, authority.cert)
    cert = builder.sign(private_key, hashes.SHA256())
    steps: dict[str, Callable[[], object]] = {
        "rsa": lambda: private_key.sign(b"\0" * 32, padding.PKCS1v15(), hashes.SHA256()),
        "build": lambda: end_entity_builder(req, authority.names, authority.cert),
        "sign": lambda: builder.sign(private_key, hashes.SHA256()),
        "verify": lambda: cert.verify_directly_issued_by(authority.cert),
        "pop": lambda: verify_pop(public_key, spki, challenge, pop),
    }
    out = {}
    for name, step in steps.items():
        times = report.timed(lambda step=step: [step() for _ in range(n)], report.RUNS)  # type: ignore[misc]
        out[name] = report.median(times) / n * 1e3
    return out


def _notes(
    *,
    n: int,
    runs: int,
    bulk: int,
    peer: float,
    peer_signs: float,
    rates: dict[str, float | None],
    ms: dict[str, float],
) -> list[str]:
    sqlite, sqlite_bulk = rates["sqlite"], rates["sqlite_bulk"]
    crypto, presign = rates["crypto"], rates["presign"]
    assert sqlite and sqlite_bulk and crypto and presign
    per, per_bulk, crypto_ms = 1000 / sqlite, 1000 / sqlite_bulk, 1000 / crypto
    openssl_ms = 1000 / peer_signs
    cert_ms = ms["sign"] + ms["build"] + ms["verify"] + ms["pop"]
    notes = [
        "Timed: per issuance, `CaService.issue_many_in` for `auth` and `sign` (each card's "
        "proof of possession checked; the sequence numbers reserved, one statement per CA; "
        "each certificate built, signed with the CA key and verified; both rows written in "
        "one INSERT), their two hash-chained audit entries (`append_audits`: one UPDATE … "
        "RETURNING for the numbers and the previous hash, one INSERT), one commit — what "
        "the counter's issuance does with the CA and the store (services/cardside.py "
        "`certify`). No OCSP answer is signed: it is signed at the first request or by "
        "`ca export-ocsp` (docs/pki.md). *Bulk issuance*: the same for "
        f"{bulk} issuances in one transaction (the same five statements for all of them). "
        "Afterwards the store holds every certificate and the audit chain verifies. "
        f"{n} issuances per run, {runs} runs, median; one process, one connection, one "
        "thread.",
        f"Excluded: card key generation. {POOL} pre-generated RSA-2048 card keys are reused, "
        "each with its proof of possession signed beforehand (on a card, key generation "
        "takes seconds and runs on the card, not in the CA). The counter's own steps (case "
        "state, letter, fee, the virtual card's encrypted file) are not in this figure.",
        f"What changed (issue 7): an issuance signed four times — each certificate and each "
        "certificate's OCSP `good` answer, pre-signed in the issuance's transaction — and "
        "now signs twice (row *before*, the previous design in this run: "
        f"{presign:,.0f} issuances/s, {presign / peer:.2f}×). The two certificates are "
        "written in one statement and their audit entries in two; statements per issuance: "
        "BEGIN IMMEDIATE, 2 counter UPDATEs, 1 INSERT of certificates, 1 audit UPDATE, 1 "
        "audit INSERT, COMMIT (10 statements before). Bulk issuance reserves the sequence "
        "numbers of a whole block at once and writes all its rows in executemany "
        "statements, one commit for the block.",
        f"Where the time goes (SQLite, pyinstrument and the parts timed alone here): one "
        f"certificate costs {cert_ms:.2f} ms of cryptography — cryptography's "
        f"`CertificateBuilder.sign` {ms['sign']:.2f} ms, of which the RSA-2048 signature is "
        f"{ms['rsa']:.2f} ms (openssl speed: {openssl_ms:.3f} ms) and the rest the Rust "
        "encoding of the TBSCertificate from the builder's Python objects (pyinstrument shows "
        "it as time in `x509/base.py` and in the `abc`/`enum` attribute reads the encoder "
        f"calls back into); building the builder {ms['build']:.2f} ms "
        "(`pki/profiles.py end_entity_builder`: names, SAN of the four facts, extensions); "
        f"verifying the issued certificate {ms['verify']:.2f} ms; the card's proof of "
        f"possession {ms['pop']:.2f} ms. Two certificates: {2 * cert_ms:.2f} ms, measured "
        f"as a whole {crypto_ms:.2f} ms ({crypto:,.0f} issuances/s, {crypto / peer:.2f}× — "
        "the ceiling of this CA path in one process). One issuance a transaction: "
        f"{per:.2f} ms, so {per - crypto_ms:.2f} ms are the store — six round trips to "
        "SQLite through SQLAlchemy Core and the commit — and the Python around them. In "
        f"bulk: {per_bulk:.2f} ms an issuance, {per_bulk - crypto_ms:.2f} ms beyond the "
        "cryptography (the audit hashes, the records, the executemany).",
        f"Why one issuance a transaction misses 0.5× and cannot meet it: 0.5× of the peer is "
        f"{2 / peer_signs * 1000 * 2:.2f} ms an issuance = two RSA signatures at openssl's "
        f"speed plus {2 / peer_signs * 1000 * 2 - 2 * openssl_ms:.2f} ms for everything "
        "else; the certificates' encoding and checks alone take "
        f"{crypto_ms - 2 * ms['rsa']:.2f} ms beyond the two signatures, and a transaction "
        f"of its own costs another {per - crypto_ms:.2f} ms. What remains: (1) encode the TBSCertificate directly — "
        "a DER template per CA and partition with the serial, validity, subject, SAN and "
        "key put in, as `pki/crl.py` does for CRLs — instead of cryptography's builder "
        f"(about {ms['sign'] - ms['rsa'] + ms['build']:.2f} ms a certificate); (2) drop the "
        "verification of each issued certificate (OpenSSL's RSA already checks its CRT "
        f"result; {ms['verify']:.2f} ms) — both in `pki/` (not changed here: another owner); "
        "(3) group commit, which is the bulk row. A second process could sign on the "
        "second core (not measured: the target is for one process).",
        "The OCSP signatures did not vanish, they moved: a certificate's `good` answer is "
        "signed at the first request for it (about one signature and a short transaction, "
        "once; later requests are served from the store and from memory, benchmark 3) or "
        "in batches of 200 a transaction by `ca export-ocsp` / `presign_missing` — off the "
        "counter's issuance, and only for certificates someone asks about.",
    ]
    if rates["pg"] is not None and rates["pg_bulk"] is not None:
        pg_ms = 1000 / rates["pg"]
        notes.append(
            f"PostgreSQL: {pg_ms:.2f} ms per issuance, {pg_ms - crypto_ms:.2f} ms beyond the "
            "cryptography: each statement, BEGIN and COMMIT is a round trip to the server "
            "over loopback TCP (and the pool pings the connection at every checkout, "
            "`pool_pre_ping`, store/db.py), and the server shares the two cores with the "
            f"benchmark; in bulk {1000 / rates['pg_bulk']:.2f} ms."
        )
    else:
        notes.append(f"PostgreSQL not measured: {report.POSTGRES_PROBLEM}.")
    notes.append(
        "Durability: the store runs SQLite in WAL mode with synchronous=NORMAL (store/db.py): "
        "a commit is not flushed to disk until the checkpoint; a power cut can lose the last "
        "transactions but never corrupts the database. With synchronous=FULL (an fsync per "
        f"commit) the rate is {rates['full']:,.0f} issuances/s on this machine's disk. "
        + report.POSTGRES_NOTE
    )
    return notes


if __name__ == "__main__":
    res = run("--quick" in sys.argv[1:])
    report.print_table([res])
    for note in res["notes"]:
        print("-", note)
