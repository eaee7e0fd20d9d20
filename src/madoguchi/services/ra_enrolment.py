"""The registration authorities' credentials (issue 17): `ca enroll-ra`, `ca revoke-ra`,
`ca ra-list`, and the TLS files `ca serve` starts with.

The CA service keeps two small CAs of its own in ``directory`` (data_dir/ca-service): the
RA-CA, which issues one client certificate per counter (one municipality each), and the
TLS-CA, which issues the service's server certificate (its certificate is the counters'
trust anchor). Their keys are sealed with the CA passphrase, like the JPKI CAs' keys. The
RA-CA's CRL is rewritten at each revocation; `ca serve` reads it again at the next handshake
when the file changed, so a revoked credential is refused at once, at the TLS layer.
"""

from __future__ import annotations

import json
import os
import secrets
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
from madoguchi.services.domain import NotFound, Refused
from madoguchi.services.ports import Clock, MunicipalityCounter, RaCredential, UowFactory

CLIENT_CERT = "client.pem"
CLIENT_KEY = "client.key"
TRUST_ANCHOR = "ca-tls.pem"
INFO = "ra.json"
CRL_FILE = "ra-ca.crl.pem"
RA_CA = "ra-ca"
TLS_CA = "tls-ca"


@dataclass(frozen=True, slots=True)
class EnrolledRa:
    credential: RaCredential
    files: dict[str, str]


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The files `ca serve` hands to TLS: its certificate and (encrypted) key, the RA-CA
    certificate clients must chain to, the RA-CA's CRL."""

    cert_file: Path
    key_file: Path
    key_password: str
    client_ca_file: Path
    crl_file: Path


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
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.keys = keys
        self.directory = directory
        self.organization = organization

    # -- the service's own CAs ---------------------------------------------------------------
    def _ca(self, name: str) -> tuple[x509.Certificate, KeySigner]:
        """The RA-CA or the TLS-CA, created at first use."""
        cert_path = self.directory / f"{name}.pem"
        key_path = self.directory / f"{name}.key.sealed"
        if cert_path.exists() and key_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return cert, self.keys.unseal(key_path.read_bytes())
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        signer = KeySigner.generate()
        label = "RA-CA" if name == RA_CA else "TLS-CA"
        cert = create_network_ca(self.organization, f"{label}", signer, self.clock())
        _private(key_path, self.keys.seal(signer))
        _private(cert_path, _pem(cert))
        return cert, signer

    @property
    def crl_file(self) -> Path:
        return self.directory / CRL_FILE

    def publish_crl(self) -> Path:
        """Write the RA-CA's CRL of every revoked credential (atomically)."""
        cert, signer = self._ca(RA_CA)
        with self.uow_factory() as uow:
            number = uow.pki.next_value("ra-crl")
            revoked = [
                (c.serial, c.revoked_at)
                for c in uow.pki.ra_credentials()
                if c.revoked_at is not None
            ]
            uow.commit()
        crl = ra_crl(cert, signer, revoked, number, self.clock())
        _private(self.crl_file, crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_file

    # -- the registration authorities ---------------------------------------------------------
    def enroll(self, municipality: str, name: str, out: Path, address: str = "") -> EnrolledRa:
        """A client certificate and key for one municipality's counter, with the trust
        anchor of the service's TLS certificate, written to ``out``. The municipality's
        counter as the CA's letters name it (R-NAT-2) is recorded at its first enrolment, and
        replaced by a later one that gives ``address``."""
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
        address = address.strip()
        if len(address) > 200:
            raise Refused("invalid_ra_address", "the counter's address is up to 200 characters")
        with self.uow_factory() as uow:
            uow.pki.add_ra_credential(credential)
            known = {m.municipality for m in uow.pki.municipality_counters()}
            if address or code not in known:
                uow.pki.put_municipality_counter(MunicipalityCounter(code, name, address))
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
        self.publish_crl()
        files = {k: str(out / f) for k, f in (("certificate", CLIENT_CERT), ("key", CLIENT_KEY))}
        files["trust_anchor"] = str(out / TRUST_ANCHOR)
        return EnrolledRa(credential, files)

    def revoke(self, serial: int) -> RaCredential:
        """Lock a credential out: recorded, and the CRL the handshake checks rewritten."""
        with self.uow_factory() as uow:
            credential = uow.pki.revoke_ra_credential(serial, self.clock())
            if credential is None:
                raise NotFound("unknown_ra", f"no RA credential {serial:x}")
            uow.commit()
        self.publish_crl()
        return credential

    def municipality_counters(self) -> list[MunicipalityCounter]:
        """The municipalities' counters the CA knows (R-NAT-2: named on its letters)."""
        with self.uow_factory.read_only() as uow:
            return uow.pki.municipality_counters()

    def credentials(self) -> list[RaCredential]:
        with self.uow_factory.read_only() as uow:
            return uow.pki.ra_credentials()

    def credential(self, serial: int) -> RaCredential | None:
        return next((c for c in self.credentials() if c.serial == serial), None)

    # -- the server -----------------------------------------------------------------------
    def server_tls(self, hosts: list[str]) -> ServerTls:
        """A fresh server certificate for ``hosts`` (its key encrypted with a password that
        lives only in this process), the RA-CA certificate and a fresh CRL."""
        tls_cert, tls_signer = self._ca(TLS_CA)
        self._ca(RA_CA)
        cert, key = issue_server_certificate(tls_cert, tls_signer, hosts, self.clock())
        password = secrets.token_hex(16)
        _private(self.directory / "server.pem", _pem(cert) + _pem(tls_cert))
        _private(self.directory / "server.key", _encrypted(key, password))
        self.publish_crl()
        return ServerTls(
            self.directory / "server.pem",
            self.directory / "server.key",
            password,
            self.directory / f"{RA_CA}.pem",
            self.crl_file,
        )


def _encrypted(key: ec.EllipticCurvePrivateKey, password: str) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
