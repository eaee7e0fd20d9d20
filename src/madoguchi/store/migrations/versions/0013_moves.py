"""the cards' moves between municipalities as the CA is told them (issue 17, R-NAT-3); the
municipalities' counters as the CA's letters name them (R-NAT-2)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ca_card_residences",
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=True),
        sa.Column("moved_out_from", sa.String(length=6), nullable=True),
        sa.Column("planned_move_out", sa.Date(), nullable=True),
        sa.Column("moved_out_at", UtcDateTime(), nullable=True),
        sa.Column("moved_in_at", UtcDateTime(), nullable=True),
        sa.Column("lapsed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_ca_card_residences")),
    )
    op.create_table(
        "ca_municipalities",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ca_municipalities")),
    )
    op.create_index(
        op.f("ix_ca_card_residences_lapsed_at"),
        "ca_card_residences",
        ["lapsed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("ca_municipalities")
    op.drop_index(op.f("ix_ca_card_residences_lapsed_at"), table_name="ca_card_residences")
    op.drop_table("ca_card_residences")
