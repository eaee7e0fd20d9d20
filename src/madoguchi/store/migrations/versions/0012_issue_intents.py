"""the registration authority's issuance intents (issue 17, exactly once across a network)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from madoguchi.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_intents",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("kinds", sa.String(length=20), nullable=False),
        sa.Column("spki", sa.Text(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_issue_intents")),
    )
    op.create_index(op.f("ix_issue_intents_card_id"), "issue_intents", ["card_id"], unique=False)
    op.create_index("ix_issue_intents_open", "issue_intents", ["closed_at", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_issue_intents_open", table_name="issue_intents")
    op.drop_index(op.f("ix_issue_intents_card_id"), table_name="issue_intents")
    op.drop_table("issue_intents")
