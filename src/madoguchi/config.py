"""One Settings object (prefix MADOGUCHI_), built at start and passed down (DESIGN.md 7)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_POLICY_ARC = "1.3.6.1.4.1.32473.1"  # RFC 5612's documentation enterprise number
_MAX_ARC = 2**32 - 1


def check_oid(value: str, setting: str) -> str:
    """A dotted OID whose every arc fits in 32 bits (what pkilint, Go's crypto/x509 and many
    other relying parties accept); ValueError with the setting's name otherwise."""
    arcs = value.split(".")
    if (
        len(arcs) < 2
        or not all(a.isdigit() and (a == "0" or not a.startswith("0")) for a in arcs)
        or int(arcs[0]) > 2
        or (int(arcs[0]) < 2 and int(arcs[1]) > 39)
    ):
        raise ValueError(f"{setting}: {value!r} is not a dotted object identifier")
    if any(int(a) > _MAX_ARC for a in arcs):
        raise ValueError(
            f"{setting}: {value!r} has an arc larger than 32 bits, which pkilint and Go's "
            "crypto/x509 refuse; use a short arc under your own (1.3.6.1.4.1.<PEN>…)"
        )
    return value


class Settings(BaseSettings):
    """Everything configurable, from the environment (MADOGUCHI_*) or arguments.

    Secrets (the CA key passphrase, the card-vault key, the card issuer key) come from the
    environment in production. When they are not set, ``madoguchi ca init`` generates them
    into ``<data_dir>/secrets/`` (mode 0600) so the demo runs with no set-up.
    """

    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", extra="ignore")

    data_dir: Path = Field(default=Path("madoguchi-data"))
    database_url: str | None = None  # default: SQLite in data_dir

    # where relying parties find CRLs and OCSP (written into certificates)
    public_base_url: str = "http://127.0.0.1:8080"
    crl_partition_size: int = Field(default=100_000, ge=1)
    crl_validity_hours: int = Field(default=48, ge=1)
    ocsp_validity_hours: int = Field(default=24, ge=1)
    # signed OCSP answers each server process keeps in memory per CA (about 1.5 kB each)
    ocsp_memory_entries: int = Field(default=20_000, ge=0)
    responder_validity_days: int = Field(default=30, ge=1)
    responder_renew_days_before: int = Field(default=7, ge=0)

    # CA names: a demo CA says in its name that it is not J-LIS (SPEC.md §8)
    ca_organization: str = "madoguchi DEMO CA - not J-LIS"
    ca_locality_prefecture: str = "北海道"
    ca_locality_city: str = "帯広市"
    # certificatePolicies (issue 14, item 14): short arcs under an arc the operator owns —
    # e.g. 1.3.6.1.4.1.<its IANA Private Enterprise Number>.<n> — with `sign` = <arc>.1 and
    # `auth` = <arc>.2 unless set one by one. The demo's arc is under 32473, the enterprise
    # number RFC 5612 reserves for documentation: an example, not J-LIS's policy. Every arc
    # must fit in 32 bits (pkilint and Go's crypto/x509 refuse larger ones; docs/pki.md).
    policy_oid_arc: str = DEMO_POLICY_ARC
    sign_policy_oid: str = ""
    auth_policy_oid: str = ""

    key_backend: Literal["file", "pkcs11"] = "file"
    ca_passphrase: SecretStr | None = None
    pkcs11_module: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token: str = "madoguchi"
    pkcs11_pin: SecretStr | None = None

    # staff logins (issue 5): argon2id cost, lock-out, session lifetime, cookie flags
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_failures_per_client: int = Field(default=20, ge=1)  # a minute, then 429 (issue 14)
    check_requests_per_client: int = Field(default=30, ge=1)  # /check: a minute, then 429
    api_token_days: int = Field(default=90, ge=1, le=3650)  # a new API token's lifetime
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    cookie_secure: bool | None = None  # default: when public_base_url is https

    card_vault_key: SecretStr | None = None  # 64 hex digits

    # operations (issue 19): where the periodic jobs put what relying parties fetch (CRLs,
    # OCSP answers, served by a static server) and the backups; default: in data_dir
    publish_dir: Path | None = None
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1)
    card_issuer_key: SecretStr | None = None  # 64 hex digits

    # the national CA (issue 17): the municipality this counter serves (its 全国地方公共団体コード)
    # and, for a counter that reaches a CA service instead of its own CA, the service's RA
    # API (https://…) and the directory `madoguchi ca enroll-ra` wrote
    municipality: str = "012076"
    ca_url: str | None = None
    ra_credentials: Path | None = None
    # how often `madoguchi serve` settles the open issuance intents (MADOGUCHI_RECONCILE_SECONDS)
    reconcile_seconds: float = Field(default=300, gt=0)

    @model_validator(mode="after")
    def _policy_oids(self) -> Settings:
        arc = check_oid(self.policy_oid_arc, "policy_oid_arc")
        self.sign_policy_oid = check_oid(self.sign_policy_oid or f"{arc}.1", "sign_policy_oid")
        self.auth_policy_oid = check_oid(self.auth_policy_oid or f"{arc}.2", "auth_policy_oid")
        if self.sign_policy_oid == self.auth_policy_oid:
            raise ValueError("sign_policy_oid and auth_policy_oid must differ")
        from madoguchi.rules.municipality import municipality_code

        self.municipality = municipality_code(self.municipality)
        if self.ca_url is not None and not self.ca_url.startswith("https://"):
            raise ValueError("MADOGUCHI_CA_URL は https:// で始まる認証局サービスの URL です")
        return self

    @property
    def ra_credentials_dir(self) -> Path:
        """Where `ca enroll-ra` put this counter's client certificate (default: data_dir/ra)."""
        return self.ra_credentials or self.data_dir / "ra"

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'madoguchi.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_base_url.startswith("https://")

    @property
    def published(self) -> Path:
        return self.publish_dir or self.data_dir / "public"

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def state_dir(self) -> Path:
        """What the periodic jobs record for the metrics (the newest backup)."""
        return self.data_dir / "ops"

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    def crl_url(self, kind: str, partition: int | None = None) -> str:
        base = self.public_base_url.rstrip("/")
        return (
            f"{base}/crl/{kind}.crl" if partition is None else f"{base}/crl/{kind}-{partition}.crl"
        )

    @property
    def ocsp_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/ocsp"


def read_or_create_secret(path: Path, *, nbytes: int = 32) -> bytes:
    """A secret kept in a 0600 file, created on first use (demo and development only)."""
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    value = secrets.token_bytes(nbytes)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value.hex())
    tmp.chmod(0o600)
    tmp.replace(path)
    return value


def secret_bytes(configured: SecretStr | None, path: Path) -> bytes:
    """The configured secret (hex) or, when none is configured, the one kept in ``path``."""
    if configured is not None:
        return bytes.fromhex(configured.get_secret_value())
    return read_or_create_secret(path)
