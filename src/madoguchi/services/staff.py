"""Staff accounts, logins and API tokens.

Passwords are hashed with argon2id (argon2-cffi); sessions and API tokens are random
256-bit values of which only the SHA-256 is stored. Repeated wrong passwords lock the account
for a while; a session ends after a period without activity and after a working day in all.
Every login, failure, lock-out and account change goes into the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from madoguchi.rules.offices import office_by_code
from madoguchi.services.audit import Actor, record
from madoguchi.services.domain import (
    ApiToken,
    NotFound,
    Refused,
    StaffAccount,
    StaffRole,
    StaffSession,
)
from madoguchi.services.ports import Clock, UnitOfWork, UowFactory
from madoguchi.services.siteconfig import site_config
from madoguchi.services.throttle import LoginLocks, RateLimit

MIN_PASSWORD = 10
LOGIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
TOKEN_REF = re.compile(r"[0-9a-f]{8,64}")
MAX_TOKEN_LIFETIME = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class StaffPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    failures_per_client: int = 20  # wrong logins per client and minute before 429
    idle_timeout: timedelta = timedelta(minutes=30)
    max_session: timedelta = timedelta(hours=12)
    token_lifetime: timedelta = timedelta(days=90)  # API tokens (issue 14, item 5)
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile)
    hash_time_cost: int = 3
    hash_memory_kib: int = 65536


@dataclass(frozen=True, slots=True)
class Login:
    account: StaffAccount
    session: StaffSession
    token: str  # the cookie value; shown once, never stored


class Throttled(Refused):
    """Too many failed logins from one client: wait ``retry_after`` seconds (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too_many_attempts", f"retry after {retry_after} s")
        self.retry_after = retry_after


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_login_name(login: str) -> str:
    if not (3 <= len(login) <= 64) or not set(login) <= LOGIN_CHARS:
        raise Refused("bad_login_name", "login names are 3-64 of a-z 0-9 . _ -")
    return login


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Refused("weak_password", f"a password has at least {MIN_PASSWORD} characters")


class StaffService:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        policy: StaffPolicy = StaffPolicy(),
        name_key: bytes = b"",
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.policy = policy
        self.name_key = name_key or secrets.token_bytes(32)
        self.client_failures = RateLimit(policy.failures_per_client, timedelta(minutes=1), clock)
        self.locks = LoginLocks(policy.max_failures, policy.lockout, clock)
        self.hasher = PasswordHasher(
            time_cost=policy.hash_time_cost, memory_cost=policy.hash_memory_kib
        )
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    def _audit(self, uow: UnitOfWork, actor: Actor, action: str, detail: dict[str, object]) -> None:
        record(uow, self.clock(), actor, action, detail)

    # -- accounts ----------------------------------------------------------------------------
    def create_account(
        self,
        *,
        login: str,
        name: str,
        role: StaffRole,
        office: str,
        password: str,
        actor: Actor,
    ) -> StaffAccount:
        login = _check_login_name(login.strip().lower())
        _check_password(password)
        if not name.strip():
            raise Refused("empty_name", "the staff member's name is empty")
        account = StaffAccount(
            id=login,
            name=name.strip(),
            role=StaffRole(role),
            office=office,
            password_hash=self.hasher.hash(password),
            active=True,
            failed_attempts=0,
            locked_until=None,
            created_at=self.clock(),
        )
        with self.uow_factory() as uow:
            office_by_code(office, site_config(uow).offices)  # raises unknown_office
            if uow.staff.account(login) is not None:
                raise Refused("login_taken", f"the login {login} exists")
            uow.staff.add_account(account)
            self._audit(
                uow,
                actor,
                "staff.create",
                {"login": login, "role": account.role.value, "office": office},
            )
            uow.commit()
        return account

    def ensure_account(
        self, *, login: str, name: str, role: StaffRole, office: str, password: str, actor: Actor
    ) -> StaffAccount:
        """Create the account unless it exists (the demo's logins)."""
        with self.uow_factory.read_only() as uow:
            existing = uow.staff.account(login)
        if existing is not None:
            return existing
        return self.create_account(
            login=login, name=name, role=role, office=office, password=password, actor=actor
        )

    def update_account(
        self,
        login: str,
        *,
        actor: Actor,
        role: StaffRole | None = None,
        office: str | None = None,
        active: bool | None = None,
        password: str | None = None,
        unlock: bool = False,
    ) -> StaffAccount:
        with self.uow_factory() as uow:
            account = uow.staff.account(login, for_update=True)
            if account is None:
                raise NotFound("unknown_staff", f"no staff account {login}")
            changes: dict[str, object] = {}
            if role is not None:
                changes["role"] = StaffRole(role)
            if office is not None:
                office_by_code(office, site_config(uow).offices)  # in this transaction
                changes["office"] = office
            if active is not None:
                changes["active"] = active
            if password is not None:
                _check_password(password)
                changes["password_hash"] = self.hasher.hash(password)
            if unlock:
                changes["failed_attempts"] = 0
                changes["locked_until"] = None
                self.locks.unlock(login)
            updated = uow.staff.update_account(replace(account, **changes))  # type: ignore[arg-type]
            if active is False or password is not None or role is not None:
                uow.staff.delete_sessions_of(login)  # they log in again with the new rights
            if active is False or password is not None:  # a new password: new tokens too
                uow.staff.revoke_tokens_of(login)
            self._audit(
                uow,
                actor,
                "staff.update",
                {
                    "login": login,
                    **{k: str(v) for k, v in changes.items() if k != "password_hash"},
                    **({"password": "changed"} if password is not None else {}),
                },
            )
            uow.commit()
        return updated

    def accounts(self) -> list[StaffAccount]:
        with self.uow_factory.read_only() as uow:
            return list(uow.staff.accounts())

    # -- logins ------------------------------------------------------------------------------
    def login(self, login: str, password: str, *, terminal: str, client: str = "-") -> Login:
        """Check the password. A client that fails too often waits (:class:`Throttled`); five
        failures in a row for one name lock that name *from that client* for a while; an
        unknown name is answered, timed and counted exactly like a known one."""
        login = login.strip().lower()[:64]
        now = self.clock()
        terminal = (terminal or "web")[:64]
        client = (client or "-")[:64]
        wait = self.client_failures.retry_after(client)
        if wait is not None:
            raise Throttled(wait)
        with self.uow_factory() as uow:
            account = uow.staff.account(login, for_update=True) if login else None
            if account is not None:
                actor = Actor(account.id, account.office, terminal)
            else:  # never the typed text: it may be anything, even a My Number
                actor = Actor(self.name_digest(login), "-", terminal)
            locked = self.locks.locked_until(login, client)
            if locked is not None:
                self.client_failures.hit(client)
                self._audit(uow, actor, "staff.login_failed", {"reason": "locked"})
                uow.commit()
                raise Refused("account_locked", f"locked until {locked.isoformat()}")
            if account is None or not account.active:
                self._verify(self._dummy_hash, password)  # same time as a real check
                ok, reason = False, "unknown" if account is None else "inactive"
            else:
                ok, reason = self._verify(account.password_hash, password), "password"
            if not ok:
                self.client_failures.hit(client)
                failures, locked = self.locks.failed(login, client)
                if locked and account is not None:  # shown on the admin's page; not enforced
                    uow.staff.update_account(replace(account, locked_until=locked))
                self._audit(
                    uow,
                    actor,
                    "staff.locked" if locked else "staff.login_failed",
                    {"reason": reason, "failures": failures},
                )
                uow.commit()
                if locked:
                    raise Refused("account_locked", f"locked until {locked.isoformat()}")
                raise Refused("login_failed", "wrong login name or password")
            assert account is not None
            self.locks.succeeded(login, client)
            if account.failed_attempts or account.locked_until:
                account = uow.staff.update_account(
                    replace(account, failed_attempts=0, locked_until=None)
                )
            if self.hasher.check_needs_rehash(account.password_hash):
                account = uow.staff.update_account(
                    replace(account, password_hash=self.hasher.hash(password))
                )
            token = secrets.token_urlsafe(32)
            session = StaffSession(
                token_hash(token), account.id, secrets.token_urlsafe(32), terminal, now, now
            )
            uow.staff.add_session(session)
            self._audit(uow, actor, "staff.login", {})
            uow.commit()
        return Login(account, session, token)

    def name_digest(self, login: str) -> str:
        """How the audit log names a login name that is no account: a keyed hash (HMAC-SHA256
        with the data directory's secret), the same for the same text, never the text."""
        digest = hmac.new(self.name_key, login.encode(), hashlib.sha256).hexdigest()
        return "?" + digest[:32]

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def session(self, token: str) -> tuple[StaffAccount, StaffSession] | None:
        """The account behind a session cookie, or None when unknown, idle or too old."""
        if not token:
            return None
        now = self.clock()
        digest = token_hash(token)
        with self.uow_factory.read_only() as reader:  # every page: no write lock
            session = reader.staff.staff_session(digest)
            account = reader.staff.account(session.staff_id) if session else None
        if session is None:
            return None
        expired = (
            now - session.last_seen > self.policy.idle_timeout
            or now - session.created_at > self.policy.max_session
        )
        if expired or account is None or not account.active:
            with self.uow_factory() as uow:
                uow.staff.delete_session(digest)
                uow.commit()
            return None
        if now - session.last_seen > timedelta(seconds=30):  # not a write on every click
            with self.uow_factory() as uow:
                uow.staff.touch_session(digest, now)
                uow.commit()
        return account, session

    def logout(self, token: str) -> None:
        with self.uow_factory() as uow:
            session = uow.staff.staff_session(token_hash(token))
            if session is not None:
                uow.staff.delete_session(session.token_hash)
                account = uow.staff.account(session.staff_id)
                office = account.office if account else "-"
                self._audit(
                    uow, Actor(session.staff_id, office, session.terminal), "staff.logout", {}
                )
                uow.commit()

    # -- API tokens --------------------------------------------------------------------------
    def create_api_token(
        self, login: str, label: str, actor: Actor, *, days: int | None = None
    ) -> str:
        """A new API token of ``login``, valid for ``days`` (the policy's default when None)."""
        lifetime = self.policy.token_lifetime if days is None else timedelta(days=days)
        if not timedelta(days=1) <= lifetime <= MAX_TOKEN_LIFETIME:
            raise Refused("bad_token_days", "a token is valid for 1 to 3650 days")
        token = "mdg_" + secrets.token_urlsafe(32)
        now = self.clock()
        with self.uow_factory() as uow:
            if uow.staff.account(login) is None:
                raise NotFound("unknown_staff", f"no staff account {login}")
            uow.staff.add_token(token_hash(token), login, label[:64] or "api", now, now + lifetime)
            self._audit(
                uow,
                actor,
                "staff.api_token",
                {"login": login, "label": label[:64], "days": lifetime.days},
            )
            uow.commit()
        return token

    def api_tokens(self, login: str) -> list[ApiToken]:
        with self.uow_factory.read_only() as uow:
            return uow.staff.tokens_of(login)

    def revoke_api_token(self, login: str, ref: str, actor: Actor) -> None:
        """Revoke one token of ``login``, named by the first characters of its hash (as
        listed: :attr:`ApiToken.ref`)."""
        ref = ref.strip().lower()
        if not TOKEN_REF.fullmatch(ref):
            raise Refused("unknown_token", f"no token {ref[:20]!r}")
        with self.uow_factory() as uow:
            if not uow.staff.revoke_token(login, ref):
                raise Refused("unknown_token", f"{login} has no token {ref}")
            self._audit(uow, actor, "staff.api_token_revoked", {"login": login, "token": ref})
            uow.commit()

    def token_account(self, token: str) -> StaffAccount | None:
        if not token:
            return None
        with self.uow_factory.read_only() as uow:  # every API request: no write lock
            owner = uow.staff.token_owner(token_hash(token), self.clock())
            account = uow.staff.account(owner) if owner else None
        if account is None or not account.active:
            return None
        return account
