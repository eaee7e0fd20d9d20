"""the CA operator's records of the cards' holders, for the national expiry notices (issue 17,
R-NAT-2); the municipalities' counters get a phone number and opening hours for the letters

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ca_holders",
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("resident_ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("card_expires", sa.Date(), nullable=False),
        sa.Column("limited_by_stay", sa.Boolean(), nullable=False),
        sa.Column("resident_status", sa.String(length=16), nullable=False),
        sa.Column("card_status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_ca_holders")),
    )
    op.create_index("ix_ca_holders_card_expires", "ca_holders", ["card_expires"], unique=False)
    with op.batch_alter_table("ca_municipalities") as batch:
        batch.add_column(
            sa.Column("phone", sa.String(length=40), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("hours", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("ca_municipalities") as batch:
        batch.drop_column("hours")
        batch.drop_column("phone")
    op.drop_index("ix_ca_holders_card_expires", table_name="ca_holders")
    op.drop_table("ca_holders")
