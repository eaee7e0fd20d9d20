"""residents' postal codes; print batches handed to the vendor (issue 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # optional for the rows already there: the letters print the 〒 line only when given
    with op.batch_alter_table("residents") as batch:
        batch.add_column(
            sa.Column("postal_code", sa.String(length=8), nullable=False, server_default="")
        )
    with op.batch_alter_table("notice_batches") as batch:
        batch.add_column(sa.Column("handed_over_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("handed_over_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notice_batches") as batch:
        batch.drop_column("handed_over_by")
        batch.drop_column("handed_over_at")
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("postal_code")
