"""the rules of 2026 at the counter (issue 16): why the card is in hand (R-FEE), foreign
residents' period of stay and the card's validity change (R-CARD-2…4), moving abroad
(R-ABROAD), the face-authentication card (R-FACE) and the card's remarks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null for the cases already there: their fee was the schedule's alone (R-PROC-4)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("fee_reason", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("abroad_sign", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("residents") as batch:
        batch.add_column(
            sa.Column("nationality", sa.String(length=8), nullable=False, server_default="jp")
        )
        batch.add_column(sa.Column("stay_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("moved_abroad_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("fuhyo_address", sa.String(length=200), nullable=True))
    with op.batch_alter_table("cards") as batch:
        batch.add_column(
            sa.Column("limited_by_stay", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("extension_used", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("validity_changed_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("face_auth", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("abroad_since", sa.Date(), nullable=True))
        batch.add_column(sa.Column("remarks", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("abroad_sign_serial", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        for name in (
            "abroad_sign_serial",
            "remarks",
            "abroad_since",
            "face_auth",
            "validity_changed_on",
            "extension_used",
            "limited_by_stay",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("residents") as batch:
        for name in ("fuhyo_address", "moved_abroad_on", "stay_until", "nationality"):
            batch.drop_column(name)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("abroad_sign")
        batch.drop_column("fee_reason")
