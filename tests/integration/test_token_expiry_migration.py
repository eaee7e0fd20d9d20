"""Migration 0007 (issue 14, item 5): the API tokens already there get an expiry, 90 days
from their creation, on SQLite and PostgreSQL; a token past it stops working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from madoguchi.store.db import make_engine, session_factory, upgrade
from madoguchi.store.staff_repository import StaffRepository
from madoguchi.store.types import UtcDateTime

CREATED = {
    "aaaa": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    "bbbb": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
}


def test_older_tokens_get_ninety_days(db_url: str) -> None:
    upgrade(db_url, "0006")
    staff = sa.table(
        "staff",
        *(sa.column(n, sa.String()) for n in ("id", "name", "role", "office", "password_hash")),
        sa.column("active", sa.Boolean()),
        sa.column("failed_attempts", sa.Integer()),
        sa.column("created_at", UtcDateTime()),
        sa.column("version", sa.Integer()),
    )
    tokens = sa.table(
        "api_tokens",
        *(sa.column(n, sa.String()) for n in ("token_hash", "staff_id", "label")),
        sa.column("created_at", UtcDateTime()),
        sa.column("revoked", sa.Boolean()),
    )
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            staff.insert().values(
                id="clerk",
                name="窓口 太郎",
                role="clerk",
                office="main",
                password_hash="x",
                active=True,
                failed_attempts=0,
                created_at=CREATED["aaaa"],
                version=1,
            )
        )
        for prefix, at in CREATED.items():
            conn.execute(
                tokens.insert().values(
                    token_hash=prefix * 16,
                    staff_id="clerk",
                    label=prefix,
                    created_at=at,
                    revoked=False,
                )
            )
    engine.dispose()

    upgrade(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        repo = StaffRepository(session)
        listed = {t.label: t for t in repo.tokens_of("clerk")}
        assert {k: t.expires_at for k, t in listed.items()} == {
            k: at + timedelta(days=90) for k, at in CREATED.items()
        }
        on = datetime(2026, 12, 2, tzinfo=UTC)
        assert repo.token_owner("aaaa" * 16, on) is None  # 90 days were over in April
        assert repo.token_owner("bbbb" * 16, on) == "clerk"
        # one token revoked by its reference, the other untouched (substr on both stores)
        assert repo.revoke_token("clerk", "bbbb" * 3)
        assert not repo.revoke_token("clerk", "cccc" * 3)
        assert not repo.revoke_token("nobody", "aaaa" * 3)
        assert repo.token_owner("bbbb" * 16, on) is None
        assert [t.revoked for t in repo.tokens_of("clerk")] == [False, True]
    engine.dispose()
