"""the municipality behind each issuance and revocation; idempotent issuances; RA credentials
(issue 17, R-NAT-1)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("municipality", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("status_municipality", sa.String(length=6), nullable=True))
    op.create_table(
        "ca_issue_requests",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=True),
        sa.Column("certificates", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ca_issue_requests")),
    )
    op.create_table(
        "ra_credentials",
        sa.Column("serial_hex", sa.String(length=40), nullable=False),
        sa.Column("municipality", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("not_after", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("serial_hex", name=op.f("pk_ra_credentials")),
    )
    op.create_index(
        op.f("ix_ra_credentials_municipality"), "ra_credentials", ["municipality"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ra_credentials_municipality"), table_name="ra_credentials")
    op.drop_table("ra_credentials")
    op.drop_table("ca_issue_requests")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("status_municipality")
        batch.drop_column("municipality")
