"""The one place that wires adapters into services (DESIGN.md).

:func:`build` makes a :class:`Container` from Settings without touching anything;
:meth:`Container.start` runs the migrations and loads the CA — once, when a process starts
(``serve``, each CLI command that needs the store). The properties only build objects: none
runs a migration or opens a unit of work, so nothing of the kind happens during a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from madoguchi.card.virtual import CardVault
from madoguchi.config import Settings, read_or_create_secret, secret_bytes
from madoguchi.observability.metrics import ocsp_answered
from madoguchi.pki.authority import Authority
from madoguchi.pki.keystore import FileKeyStore, KeyStore, Pkcs11KeyStore
from madoguchi.pki.profiles import CaNames
from madoguchi.rules.offices import Office
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from madoguchi.services.ca_local import InProcessCa
from madoguchi.services.ca_moves import CaMoves
from madoguchi.services.ca_setup import CaPolicy, initialise_authorities, load_authorities
from madoguchi.services.card_renewal import CardRenewalService
from madoguchi.services.cardside import CardSide
from madoguchi.services.checkpoints import CheckpointService
from madoguchi.services.counter import CounterService
from madoguchi.services.crl_service import CrlPublisher
from madoguchi.services.moves import Moves
from madoguchi.services.notice_books import NationalBook, ResidentsBook
from madoguchi.services.notices import NoticeService
from madoguchi.services.ocsp_service import OCSP_COUNTERS, OcspResponder
from madoguchi.services.operations import OperationsService
from madoguchi.services.ports import Clock, UowFactory
from madoguchi.services.ports.ca import CertificateAuthority
from madoguchi.services.ra_enrolment import RA_CRL_COUNTER, RaEnrolment
from madoguchi.services.registry import RegistryService
from madoguchi.services.siteconfig import SiteConfigService
from madoguchi.services.staff import StaffPolicy, StaffService
from madoguchi.services.testcard import TestCards
from madoguchi.services.throttle import RateLimit
from madoguchi.services.views import CounterViews
from madoguchi.store.archive import BackupSummary, create_backup, restore_backup
from madoguchi.store.db import make_engine, make_reader_engine, session_factory, upgrade
from madoguchi.store.ocsp_reader import OcspReader
from madoguchi.store.uow import SqlUowFactory


def system_clock() -> datetime:
    return datetime.now(UTC)


def ca_passphrase(settings: Settings) -> bytes:
    if settings.ca_passphrase is not None:
        return settings.ca_passphrase.get_secret_value().encode()
    return read_or_create_secret(settings.secrets_dir / "ca-passphrase").hex().encode()


def ca_policy(settings: Settings) -> CaPolicy:
    return CaPolicy(
        names=CaNames(
            organization=settings.ca_organization,
            prefecture=settings.ca_locality_prefecture,
            city=settings.ca_locality_city,
            sign_policy=settings.sign_policy_oid,
            auth_policy=settings.auth_policy_oid,
        ),
        base_url=settings.public_base_url,
        partition_size=settings.crl_partition_size,
        ocsp_validity=timedelta(hours=settings.ocsp_validity_hours),
        crl_validity=timedelta(hours=settings.crl_validity_hours),
        responder_days=settings.responder_validity_days,
        responder_renew_before=timedelta(days=settings.responder_renew_days_before),
    )


class NotStarted(RuntimeError):
    """A part that needs the CA was asked for before :meth:`Container.start` loaded it."""


@dataclass
class Container:
    """Everything a command or the web application needs, built from Settings."""

    settings: Settings
    clock: Clock = system_clock
    _authorities: dict[CertKind, Authority] | None = field(default=None, repr=False)

    # -- start-up: the only place that migrates and loads -------------------------------------
    def migrate(self) -> None:
        upgrade(self.settings.db_url)

    def start(self, *, ca: bool = True) -> Container:
        """Bring the schema to head and, with ``ca``, load both CAs (renewing a responder
        certificate that is about to expire). Run once when a process starts."""
        self.migrate()
        if ca and self._authorities is None and not self.remote_ca:
            self._authorities = load_authorities(self.uow, self.keys, self.policy, self.clock())
        return self

    def backup(self, out: Path, passphrase: bytes) -> BackupSummary:
        """`madoguchi backup`: the store, the keys, the cards, the secrets and the batches in
        one encrypted archive (store/archive.py)."""
        self.migrate()
        return create_backup(self.engine, self.settings.data_dir, out, passphrase, self.clock())

    def restore(self, source: Path, passphrase: bytes) -> dict[str, int]:
        """`madoguchi restore`: the archive into this container's (new, empty) data directory."""
        self.migrate()
        return restore_backup(self.engine, self.settings.data_dir, source, passphrase)

    def init_ca(self) -> Container:
        """`madoguchi ca init`: the schema, both CAs (CaExists if there are any), and the
        container started with them."""
        self.migrate()
        initialise_authorities(self.uow, self.keys, self.policy, self.clock())
        return self.start()

    @property
    def authorities(self) -> dict[CertKind, Authority]:
        if self._authorities is None:
            raise NotStarted("the CA is loaded by Container.start(), when the process starts")
        return self._authorities

    # -- the store --------------------------------------------------------------------------
    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.db_url)

    @cached_property
    def uow(self) -> UowFactory:
        reader = make_reader_engine(self.settings.db_url, self.engine)
        return SqlUowFactory(session_factory(self.engine), session_factory(reader))

    @cached_property
    def ocsp_reader(self) -> OcspReader:
        return OcspReader(self.engine, OCSP_COUNTERS)

    # -- keys and cards ---------------------------------------------------------------------
    @cached_property
    def keys(self) -> KeyStore:
        s = self.settings
        passphrase = ca_passphrase(s)
        if s.key_backend == "pkcs11":
            pin = s.pkcs11_pin.get_secret_value() if s.pkcs11_pin else ""
            return Pkcs11KeyStore(s.pkcs11_module, s.pkcs11_token, pin, passphrase)
        return FileKeyStore(s.data_dir / "keys", passphrase)

    @cached_property
    def policy(self) -> CaPolicy:
        return ca_policy(self.settings)

    @cached_property
    def vault(self) -> CardVault:
        key = secret_bytes(
            self.settings.card_vault_key, self.settings.secrets_dir / "card-vault.key"
        )
        return CardVault(self.settings.data_dir / "cards", key)

    @cached_property
    def issuer_key(self) -> bytes:
        return secret_bytes(
            self.settings.card_issuer_key, self.settings.secrets_dir / "card-issuer.key"
        )

    # -- the CA's services ------------------------------------------------------------------
    @cached_property
    def ocsp(self) -> OcspResponder:
        return OcspResponder(
            self.uow,
            self.authorities,
            self.policy,
            self.clock,
            reader=self.ocsp_reader,
            memory_entries=self.settings.ocsp_memory_entries,
            on_answer=ocsp_answered,
        )

    @cached_property
    def ca(self) -> CaService:
        return CaService(self.uow, self.authorities, self.policy, self.clock, self.ocsp)

    @cached_property
    def ra_enrolment(self) -> RaEnrolment:
        """The CA service's RA credentials and TLS files (`ca enroll-ra`, `ca serve`)."""
        return RaEnrolment(
            self.uow,
            self.clock,
            self.keys,
            self.settings.data_dir / "ca-service",
            self.settings.ca_organization,
            probe=lambda: self.ra_crl_reader.counters()[RA_CRL_COUNTER],
        )

    @cached_property
    def ra_crl_reader(self) -> OcspReader:
        """The cheap read of the RA-CA CRL's counter, at every TLS handshake of `ca serve`."""
        return OcspReader(self.engine, (RA_CRL_COUNTER,))

    @cached_property
    def crls(self) -> CrlPublisher:
        return CrlPublisher(self.uow, self.authorities, self.policy, self.clock)

    # -- the counter's services -------------------------------------------------------------
    @property
    def remote_ca(self) -> bool:
        """Whether the counter reaches a CA service (MADOGUCHI_CA_URL) instead of its own."""
        return self.settings.ca_url is not None

    @cached_property
    def ca_port(self) -> CertificateAuthority:
        """The CA as the counter's services see it: in this process (the default) or the CA
        service at MADOGUCHI_CA_URL, over mutual TLS with MADOGUCHI_RA_CREDENTIALS."""
        s = self.settings
        if s.ca_url is None:
            return InProcessCa(self.ca, s.municipality)
        from madoguchi.services.ca_remote import RemoteCa

        return RemoteCa(s.ca_url, s.ra_credentials_dir, s.municipality, self.uow)

    @cached_property
    def registry(self) -> RegistryService:
        return RegistryService(self.uow, self.clock, self.ca_port)

    @cached_property
    def ca_moves(self) -> CaMoves:
        """The CA's side of moves between municipalities (R-NAT-3; `ca run-deadlines`)."""
        return CaMoves(self.ca)

    @cached_property
    def moves(self) -> Moves:
        return Moves(self.uow, self.clock, self.ca_port, self.registry, self.vault)

    @cached_property
    def card_side(self) -> CardSide:
        return CardSide(self.clock, self.ca_port, self.vault, self.issuer_key, self.uow)

    def _ca_probe(self) -> Callable[[], str] | None:
        """For /readyz of a counter of a CA service: the service answers this counter."""
        if not self.remote_ca:
            return None
        from madoguchi.services.ca_remote import RemoteCa

        remote = self.ca_port
        assert isinstance(remote, RemoteCa)
        return remote.ping

    @cached_property
    def testcards(self) -> TestCards:
        return TestCards(self.ca_port, self.uow, self.clock, self.vault, self.issuer_key)

    @cached_property
    def site(self) -> SiteConfigService:
        return SiteConfigService(self.uow, self.clock)

    @cached_property
    def counter(self) -> CounterService:
        return CounterService(
            self.uow,
            self.clock,
            ca=self.ca_port,
            registry=self.registry,
            cards=self.card_side,
            site=self.site,
        )

    @cached_property
    def views(self) -> CounterViews:
        return CounterViews(self.uow, self.clock)

    @cached_property
    def staff(self) -> StaffService:
        s = self.settings
        policy = StaffPolicy(
            max_failures=s.login_max_failures,
            lockout=timedelta(minutes=s.login_lockout_minutes),
            idle_timeout=timedelta(minutes=s.session_idle_minutes),
            max_session=timedelta(hours=s.session_max_hours),
            hash_time_cost=s.password_hash_time_cost,
            hash_memory_kib=s.password_hash_memory_kib,
            failures_per_client=s.login_failures_per_client,
            token_lifetime=timedelta(days=s.api_token_days),
        )
        name_key = read_or_create_secret(s.secrets_dir / "audit-names.key")
        return StaffService(self.uow, self.clock, policy, name_key)

    @cached_property
    def check_limit(self) -> RateLimit:
        """The public /check's requests per client and minute (issue 14, item 4)."""
        return RateLimit(self.settings.check_requests_per_client, timedelta(minutes=1), self.clock)

    @cached_property
    def card_renewal(self) -> CardRenewalService:
        key = read_or_create_secret(self.settings.secrets_dir / "link.key")
        return CardRenewalService(self.uow, self.clock, key)

    @cached_property
    def notices(self) -> NoticeService:
        from madoguchi.letters.build import notice_printer

        settings = self.settings

        def link(card_id: str, expires: date) -> str:
            return self.card_renewal.link(settings.public_base_url, card_id, expires)

        return NoticeService(
            self.uow,
            self.clock,
            notice_printer(settings.ca_locality_city),
            settings.data_dir / "notices",
            link,
            self._certificate_office,
            book=ResidentsBook(by_ca_operator=self.remote_ca),
        )

    @cached_property
    def national_notices(self) -> NoticeService:
        """The CA operator's campaigns across every municipality (R-NAT-2; `madoguchi ca
        notices`), on the CA's store; the sender is the organization of its CA certificates."""
        from cryptography.x509.oid import NameOID

        from madoguchi.letters.build import notice_printer, operator_name

        org = self.authorities[CertKind.SIGN].cert.subject.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME
        )
        return NoticeService(
            self.uow,
            self.clock,
            notice_printer(self.settings.ca_locality_city),
            self.settings.data_dir / "notices",
            lambda card_id, expires: "",  # no card-renewal QR code (NationalBook)
            self._certificate_office,
            book=NationalBook(),
            sender=operator_name(str(org[0].value) if org else self.settings.ca_organization),
        )

    def _certificate_office(self) -> Office:
        """The office that handles certificates (R-PROC-0), as configured now."""
        return next(o for o in self.site.offices() if o.handles_certificates)

    @cached_property
    def checkpoints(self) -> CheckpointService:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        seed = read_or_create_secret(self.settings.secrets_dir / "audit-checkpoint.key")
        key = Ed25519PrivateKey.from_private_bytes(seed)
        return CheckpointService(
            self.uow, self.clock, key, self.settings.data_dir / "audit" / "checkpoints.log"
        )

    @cached_property
    def operations(self) -> OperationsService:
        """Readiness and the store's counts for operators (/readyz, /metrics)."""
        from madoguchi.store.ops_queries import head_revision

        return OperationsService(
            self.uow,
            self.clock,
            head_revision=head_revision,
            authorities=lambda: {} if self.remote_ca else self.authorities,
            ca_probe=self._ca_probe(),
            responder_renew_before=self.policy.responder_renew_before,
            state_dir=self.settings.state_dir,
        )


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    return Container(settings or Settings(), clock or system_clock)
