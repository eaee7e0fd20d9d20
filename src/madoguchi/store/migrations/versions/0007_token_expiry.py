"""API tokens expire (issue 14, item 5)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00

The tokens already there get 90 days from their creation (the default lifetime of a new
one): a token older than that stops working at the upgrade, as it would have had it been
created with an expiry.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIFETIME = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UtcDateTime(), nullable=True))
    tokens = sa.table(
        "api_tokens",
        sa.column("token_hash", sa.String()),
        sa.column("created_at", UtcDateTime()),
        sa.column("expires_at", UtcDateTime()),
    )
    bind = op.get_bind()
    for token_hash, created_at in bind.execute(
        sa.select(tokens.c.token_hash, tokens.c.created_at)
    ).all():
        bind.execute(
            tokens.update()
            .where(tokens.c.token_hash == token_hash)
            .values(expires_at=created_at + LIFETIME)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
