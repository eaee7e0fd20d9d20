"""Repository of the staff side: accounts, sessions, API tokens, site settings, applications."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from madoguchi.services.domain import (
    ApiToken,
    CardRenewalApplication,
    ConcurrentUpdate,
    StaffAccount,
    StaffRole,
    StaffSession,
)
from madoguchi.store.staff_models import (
    ApiTokenRow,
    CardRenewalApplicationRow,
    SiteSettingRow,
    StaffRow,
    StaffSessionRow,
)


def _account(r: StaffRow) -> StaffAccount:
    return StaffAccount(
        id=r.id,
        name=r.name,
        role=StaffRole(r.role),
        office=r.office,
        password_hash=r.password_hash,
        active=r.active,
        failed_attempts=r.failed_attempts,
        locked_until=r.locked_until,
        created_at=r.created_at,
        version=r.version,
    )


def _session(r: StaffSessionRow) -> StaffSession:
    return StaffSession(r.token_hash, r.staff_id, r.csrf, r.terminal, r.created_at, r.last_seen)


class StaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- accounts ----------------------------------------------------------------------------
    def add_account(self, a: StaffAccount) -> None:
        self.session.add(
            StaffRow(
                id=a.id,
                name=a.name,
                role=a.role.value,
                office=a.office,
                password_hash=a.password_hash,
                active=a.active,
                failed_attempts=a.failed_attempts,
                locked_until=a.locked_until,
                created_at=a.created_at,
                version=a.version,
            )
        )
        self.session.flush()

    def account(self, staff_id: str, *, for_update: bool = False) -> StaffAccount | None:
        stmt = select(StaffRow).where(StaffRow.id == staff_id)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _account(row) if row else None

    def accounts(self) -> list[StaffAccount]:
        return [_account(r) for r in self.session.scalars(select(StaffRow).order_by(StaffRow.id))]

    def update_account(self, a: StaffAccount) -> StaffAccount:
        res = self.session.execute(
            update(StaffRow)
            .where(StaffRow.id == a.id, StaffRow.version == a.version)
            .values(
                name=a.name,
                role=a.role.value,
                office=a.office,
                password_hash=a.password_hash,
                active=a.active,
                failed_attempts=a.failed_attempts,
                locked_until=a.locked_until,
                version=a.version + 1,
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("staff account")
        return replace(a, version=a.version + 1)

    # -- sessions ----------------------------------------------------------------------------
    def add_session(self, s: StaffSession) -> None:
        self.session.add(
            StaffSessionRow(
                token_hash=s.token_hash,
                staff_id=s.staff_id,
                csrf=s.csrf,
                terminal=s.terminal,
                created_at=s.created_at,
                last_seen=s.last_seen,
            )
        )

    def staff_session(self, token_hash: str) -> StaffSession | None:
        row = self.session.get(StaffSessionRow, token_hash)
        return _session(row) if row else None

    def touch_session(self, token_hash: str, at: datetime) -> None:
        self.session.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.token_hash == token_hash)
            .values(last_seen=at)
        )

    def delete_session(self, token_hash: str) -> None:
        self.session.execute(
            delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash)
        )

    def delete_sessions_of(self, staff_id: str) -> None:
        self.session.execute(delete(StaffSessionRow).where(StaffSessionRow.staff_id == staff_id))

    # -- API tokens --------------------------------------------------------------------------
    def add_token(
        self, token_hash: str, staff_id: str, label: str, at: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            ApiTokenRow(
                token_hash=token_hash,
                staff_id=staff_id,
                label=label,
                created_at=at,
                expires_at=expires_at,
            )
        )

    def token_owner(self, token_hash: str, at: datetime) -> str | None:
        row = self.session.get(ApiTokenRow, token_hash)
        if row is None or row.revoked or row.expires_at is None or row.expires_at <= at:
            return None
        return row.staff_id

    def revoke_token(self, staff_id: str, ref: str) -> bool:
        res = self.session.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.staff_id == staff_id,
                func.substr(ApiTokenRow.token_hash, 1, len(ref)) == ref,
            )
            .values(revoked=True)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def tokens_of(self, staff_id: str) -> list[ApiToken]:
        rows = self.session.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.staff_id == staff_id)
            .order_by(ApiTokenRow.created_at)
        )
        return [
            ApiToken(
                r.token_hash[:12],
                r.label,
                r.created_at,
                r.revoked,
                r.expires_at or r.created_at,  # none: it never was valid after the upgrade
            )
            for r in rows
        ]

    def revoke_tokens_of(self, staff_id: str) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.staff_id == staff_id).values(revoked=True)
        )

    # -- site settings -----------------------------------------------------------------------
    def setting(self, key: str) -> Any | None:
        row = self.session.get(SiteSettingRow, key)
        return json.loads(row.value) if row else None

    def put_setting(self, key: str, value: Any, at: datetime, by: str) -> None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        row = self.session.get(SiteSettingRow, key, with_for_update=True)
        if row is None:
            self.session.add(SiteSettingRow(key=key, value=text, updated_at=at, updated_by=by))
        else:
            row.value, row.updated_at, row.updated_by = text, at, by

    # -- card-renewal applications -------------------------------------------------------------
    def add_application(self, a: CardRenewalApplication) -> None:
        self.session.add(
            CardRenewalApplicationRow(
                id=a.id,
                card_id=a.card_id,
                card_expires=a.card_expires.isoformat(),
                contact=a.contact,
                receive_at=a.receive_at,
                submitted_at=a.submitted_at,
                state=a.state,
            )
        )

    def applications_of_card(self, card_id: str) -> list[CardRenewalApplication]:
        rows = self.session.scalars(
            select(CardRenewalApplicationRow)
            .where(CardRenewalApplicationRow.card_id == card_id)
            .order_by(CardRenewalApplicationRow.submitted_at)
        )
        return [_application(r) for r in rows]

    def applications(self, limit: int = 200) -> list[CardRenewalApplication]:
        rows = self.session.scalars(
            select(CardRenewalApplicationRow)
            .order_by(CardRenewalApplicationRow.submitted_at.desc())
            .limit(limit)
        )
        return [_application(r) for r in rows]


def _application(r: CardRenewalApplicationRow) -> CardRenewalApplication:
    return CardRenewalApplication(
        r.id,
        r.card_id,
        date.fromisoformat(r.card_expires),
        r.contact,
        r.receive_at,
        r.submitted_at,
        r.state,
    )
