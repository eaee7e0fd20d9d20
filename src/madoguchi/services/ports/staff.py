"""Staff accounts, sessions, API tokens, site settings, card-renewal applications."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from madoguchi.services.domain import (
    ApiToken,
    CardRenewalApplication,
    StaffAccount,
    StaffSession,
    StoredCheckpoint,
)


class StaffReader(Protocol):
    def account(self, staff_id: str) -> StaffAccount | None:
        """One staff account."""

    def accounts(self) -> list[StaffAccount]:
        """Every staff account, by login."""

    def staff_session(self, token_hash: str) -> StaffSession | None:
        """The session behind a cookie's hash."""

    def token_owner(self, token_hash: str, at: datetime) -> str | None:
        """The login behind an API token's hash, unless revoked or expired at ``at``."""

    def tokens_of(self, staff_id: str) -> list[ApiToken]:
        """A staff member's API tokens, oldest first."""

    def setting(self, key: str) -> Any | None:
        """A site setting's JSON value."""

    def applications_of_card(self, card_id: str) -> list[CardRenewalApplication]:
        """The card-renewal applications of a card."""

    def applications(self, limit: int = 200) -> list[CardRenewalApplication]:
        """The newest card-renewal applications."""


class StaffRepo(StaffReader, Protocol):
    def add_account(self, a: StaffAccount) -> None:
        """Record a new staff account."""

    def account(self, staff_id: str, *, for_update: bool = False) -> StaffAccount | None:
        """One account; ``for_update`` locks the row until commit."""

    def update_account(self, a: StaffAccount) -> StaffAccount:
        """Write ``a`` unless its row changed since it was read."""

    def add_session(self, s: StaffSession) -> None:
        """Record a new session."""

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """The session was used at ``at``."""

    def delete_session(self, token_hash: str) -> None:
        """End one session."""

    def delete_sessions_of(self, staff_id: str) -> None:
        """End every session of a staff member."""

    def add_token(
        self, token_hash: str, staff_id: str, label: str, at: datetime, expires_at: datetime
    ) -> None:
        """Record a new API token (its hash), valid until ``expires_at``."""

    def revoke_token(self, staff_id: str, ref: str) -> bool:
        """Revoke the staff member's token whose hash begins with ``ref``; False if none."""

    def revoke_tokens_of(self, staff_id: str) -> None:
        """Revoke every API token of a staff member."""

    def put_setting(self, key: str, value: Any, at: datetime, by: str) -> None:
        """Write a site setting."""

    def add_application(self, a: CardRenewalApplication) -> None:
        """Record a card-renewal application."""


# -- audit checkpoints --------------------------------------------------------------------------
class CheckpointReader(Protocol):
    def last_entry(self) -> tuple[int, str] | None:
        """The newest audit entry's number and hash."""

    def entry_hash(self, seq: int) -> str | None:
        """The hash of audit entry ``seq``, if it exists."""

    def exists(self, seq: int) -> bool:
        """Whether a checkpoint names entry ``seq``."""

    def all(self) -> list[StoredCheckpoint]:
        """Every checkpoint, in order."""


class CheckpointRepo(CheckpointReader, Protocol):
    def add(self, seq: int, hash_: str, at: datetime, signature: bytes) -> None:
        """Record a signed checkpoint."""
