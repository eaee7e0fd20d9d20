"""why the card is in hand at an issuance: the fee's reason (issue 16, R-FEE)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null for the cases already there: their fee was the schedule's alone (R-PROC-4)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("fee_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("fee_reason")
