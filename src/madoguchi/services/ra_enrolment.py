"""The registration authorities' credentials (issue 17): `ca enroll-ra`, `ca revoke-ra`,
`ca ra-list`, and the TLS files `ca serve` starts with.

The CA service keeps two small CAs of its own, in its store (table ``network_cas``), so that
every `ca serve` process over one database shares them: the RA-CA, which issues one client
certificate per counter (one municipality each), and the TLS-CA, which issues each process's
server certificate (its certificate is the counters' trust anchor). Their keys are sealed
with the CA passphrase, like the responder keys. The RA-CA's CRL is kept in its row,
rewritten in the transaction of each revocation, and moves the store's counter ``ra-crl``:
every `ca serve` process reads that counter at each TLS handshake (one small ``SELECT``) and
loads the new CRL when it moved, so a revoked credential is refused at once, at the TLS
layer, by all of them. A CA service that kept these in data_dir/ca-service (before migration
0011) has them imported into the store at first use.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from madoguchi.pki.keystore import KeyStore
from madoguchi.pki.network import (
    create_network_ca,
    issue_ra_certificate,
    issue_server_certificate,
    ra_crl,
)
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.municipality import municipality_code
from madoguchi.services.domain import ConcurrentUpdate, NotFound, Refused
from madoguchi.services.ports import (
    Clock,
    MunicipalityCounter,
    NetworkCa,
    RaCredential,
    UnitOfWork,
    UowFactory,
)

CLIENT_CERT = "client.pem"
CLIENT_KEY = "client.key"
TRUST_ANCHOR = "ca-tls.pem"
INFO = "ra.json"
CRL_FILE = "ra-ca.crl.pem"
RA_CA = "ra-ca"
TLS_CA = "tls-ca"
#: the store's counter that moves with every RA-CA CRL (its CRL number)
RA_CRL_COUNTER = "ra-crl"


@dataclass(frozen=True, slots=True)
class EnrolledRa:
    credential: RaCredential
    files: dict[str, str]


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The files `ca serve` hands to TLS (in a directory of its own process): its
    certificate and (encrypted) key, the RA-CA certificate clients must chain to, the RA-CA's
    CRL; ``generation`` reads the store's CRL counter (cheap: at every handshake) and
    ``refresh`` rewrites ``crl_file`` from the store, answering the counter it wrote."""

    cert_file: Path
    key_file: Path
    key_password: str
    client_ca_file: Path
    crl_file: Path
    generation: Callable[[], int]
    refresh: Callable[[], int]


def _private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class RaEnrolment:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        keys: KeyStore,
        directory: Path,
        organization: str,
        *,
        probe: Callable[[], int] | None = None,
    ) -> None:
        """``directory``: where a CA service before migration 0011 kept its RA-CA and TLS-CA
        (imported from there at first use). ``probe``: a cheap read of the store's counter
        :data:`RA_CRL_COUNTER` (without: a read-only unit of work)."""
        self.uow_factory = uow_factory
        self.clock = clock
        self.keys = keys
        self.directory = directory
        self.organization = organization
        self._probe = probe
        self._loaded: dict[str, tuple[x509.Certificate, KeySigner]] = {}

    # -- the service's own CAs ---------------------------------------------------------------
    def _ca(self, name: str) -> tuple[x509.Certificate, KeySigner]:
        """The RA-CA or the TLS-CA, from the store; created at first use (or imported from
        the files of a CA service before migration 0011). Two processes creating it at once:
        the store keeps the first, and the second takes it."""
        if name in self._loaded:
            return self._loaded[name]
        with self.uow_factory.read_only() as ruow:
            stored = ruow.pki.network_ca(name)
        if stored is None:
            stored = self._legacy(name) or self._generate(name)
            try:
                with self.uow_factory() as uow:
                    uow.pki.add_network_ca(stored, self.clock())
                    uow.commit()
            except ConcurrentUpdate:
                with self.uow_factory.read_only() as ruow:
                    stored = ruow.pki.network_ca(name)
                if stored is None:  # pragma: no cover - the store refused, then has none
                    raise
        loaded = (
            x509.load_pem_x509_certificate(stored.cert_pem),
            self.keys.unseal(stored.key_sealed),
        )
        self._loaded[name] = loaded
        return loaded

    def _legacy(self, name: str) -> NetworkCa | None:
        cert_path = self.directory / f"{name}.pem"
        key_path = self.directory / f"{name}.key.sealed"
        if cert_path.exists() and key_path.exists():
            return NetworkCa(name, cert_path.read_bytes(), key_path.read_bytes())
        return None

    def _generate(self, name: str) -> NetworkCa:
        signer = KeySigner.generate()
        label = "RA-CA" if name == RA_CA else "TLS-CA"
        cert = create_network_ca(self.organization, label, signer, self.clock())
        return NetworkCa(name, _pem(cert), self.keys.seal(signer))

    def _publish_crl_in(self, uow: UnitOfWork) -> int:
        """Sign the RA-CA's CRL of every revoked credential into the store (``uow``'s
        transaction); its number is the new value of :data:`RA_CRL_COUNTER`."""
        cert, signer = self._loaded[RA_CA]
        number = uow.pki.next_value(RA_CRL_COUNTER)
        revoked = [
            (c.serial, c.revoked_at) for c in uow.pki.ra_credentials() if c.revoked_at is not None
        ]
        crl = ra_crl(cert, signer, revoked, number, self.clock())
        uow.pki.put_network_crl(RA_CA, number, crl.public_bytes(serialization.Encoding.PEM))
        return number

    def publish_crl(self) -> int:
        """A fresh RA-CA CRL in the store (at `ca serve`'s start); its number."""
        self._ca(RA_CA)
        with self.uow_factory() as uow:
            number = self._publish_crl_in(uow)
            uow.commit()
        return number

    def crl_generation(self) -> int:
        """The store's :data:`RA_CRL_COUNTER` now: it moved, the CRL changed."""
        if self._probe is not None:
            return self._probe()
        with self.uow_factory.read_only() as uow:
            return uow.pki.counter(RA_CRL_COUNTER)

    def write_crl(self, path: Path) -> int:
        """The store's RA-CA CRL written to ``path`` (atomically); its number (0: none yet)."""
        with self.uow_factory.read_only() as uow:
            found = uow.pki.network_crl(RA_CA)
        if found is None:
            return 0
        number, pem = found
        _private(path, pem)
        return number

    # -- the registration authorities ---------------------------------------------------------
    def enroll(
        self,
        municipality: str,
        name: str,
        out: Path,
        address: str = "",
        *,
        phone: str = "",
        hours: str = "",
    ) -> EnrolledRa:
        """A client certificate and key for one municipality's counter, with the trust
        anchor of the service's TLS certificate, written to ``out``. The municipality's
        counter as the CA's letters name it (R-NAT-2: name, address, phone, hours) is recorded
        at its first enrolment, and replaced by a later one that gives ``address``."""
        code = municipality_code(municipality)
        name = name.strip()
        if not name or len(name) > 100:
            raise Refused("invalid_ra_name", "the RA's name is 1 to 100 characters")
        ca_cert, signer = self._ca(RA_CA)
        tls_cert, _ = self._ca(TLS_CA)
        cert, key = issue_ra_certificate(ca_cert, signer, code, name, self.clock())
        credential = RaCredential(
            cert.serial_number,
            code,
            name,
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
            None,
        )
        address, phone, hours = address.strip(), phone.strip(), hours.strip()
        if len(address) > 200 or len(phone) > 40 or len(hours) > 100:
            raise Refused(
                "invalid_ra_address",
                "the counter's address, phone and hours are up to 200, 40 and 100 characters",
            )
        with self.uow_factory() as uow:
            uow.pki.add_ra_credential(credential)
            known = {m.municipality for m in uow.pki.municipality_counters()}
            if address or code not in known:
                uow.pki.put_municipality_counter(
                    MunicipalityCounter(code, name, address, phone, hours)
                )
            uow.commit()
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _private(out / CLIENT_KEY, key_pem)
        _private(out / CLIENT_CERT, _pem(cert))
        _private(out / TRUST_ANCHOR, _pem(tls_cert))
        info = {"municipality": code, "name": name, "serial": f"{cert.serial_number:x}"}
        _private(out / INFO, json.dumps(info, ensure_ascii=False).encode())
        files = {k: str(out / f) for k, f in (("certificate", CLIENT_CERT), ("key", CLIENT_KEY))}
        files["trust_anchor"] = str(out / TRUST_ANCHOR)
        return EnrolledRa(credential, files)

    def revoke(self, serial: int) -> RaCredential:
        """Lock a credential out: recorded, and the CRL the handshake checks rewritten."""
        self._ca(RA_CA)
        with self.uow_factory() as uow:
            credential = uow.pki.revoke_ra_credential(serial, self.clock())
            if credential is None:
                raise NotFound("unknown_ra", f"no RA credential {serial:x}")
            self._publish_crl_in(uow)  # the same commit: no moment revoked but not on the CRL
            uow.commit()
        return credential

    def municipality_counters(self) -> list[MunicipalityCounter]:
        """The municipalities' counters the CA knows (R-NAT-2: named on its letters)."""
        with self.uow_factory.read_only() as uow:
            return uow.pki.municipality_counters()

    def credentials(self) -> list[RaCredential]:
        with self.uow_factory.read_only() as uow:
            return uow.pki.ra_credentials()

    def credential(self, serial: int) -> RaCredential | None:
        with self.uow_factory.read_only() as uow:
            return uow.pki.ra_credential(serial)

    # -- the server -----------------------------------------------------------------------
    def server_tls(self, hosts: list[str], directory: Path) -> ServerTls:
        """A fresh server certificate for ``hosts`` in ``directory`` (the process's own: its
        key encrypted with a password that lives only in this process), the RA-CA
        certificate and a fresh CRL from the store."""
        tls_cert, tls_signer = self._ca(TLS_CA)
        ra_cert, _ = self._ca(RA_CA)
        cert, key = issue_server_certificate(tls_cert, tls_signer, hosts, self.clock())
        password = secrets.token_hex(16)
        _private(directory / "server.pem", _pem(cert) + _pem(tls_cert))
        _private(directory / "server.key", _encrypted(key, password))
        _private(directory / f"{RA_CA}.pem", _pem(ra_cert))
        crl_file = directory / CRL_FILE
        self.publish_crl()
        self.write_crl(crl_file)
        return ServerTls(
            directory / "server.pem",
            directory / "server.key",
            password,
            directory / f"{RA_CA}.pem",
            crl_file,
            self.crl_generation,
            lambda: self.write_crl(crl_file),
        )


def _encrypted(key: ec.EllipticCurvePrivateKey, password: str) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
