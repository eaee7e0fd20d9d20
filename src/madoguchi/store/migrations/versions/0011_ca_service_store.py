"""The CA service's RA-CA, TLS-CA and RA CRL in the store (issue 17, Scale)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:30:00

Several `ca serve` processes over one database share them. A CA service that kept them in
data_dir/ca-service has them imported at its next start (services/ra_enrolment.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_cas",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("cert_pem", sa.LargeBinary(), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("crl_number", sa.BigInteger(), nullable=True),
        sa.Column("crl_pem", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_network_cas")),
    )


def downgrade() -> None:
    op.drop_table("network_cas")
