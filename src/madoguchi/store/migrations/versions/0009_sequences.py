"""PostgreSQL sequences for the CAs' issue sequence numbers (issue 14, item 18)

On PostgreSQL only (SQLite keeps its counter rows): ``issue_seq_auth`` and
``issue_seq_sign``, created if missing and set above the highest value already handed out
(store/sequences.py), so the migration may run again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from alembic import op

from madoguchi.store.sequences import create_issue_sequences, drop_issue_sequences

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        create_issue_sequences(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        drop_issue_sequences(bind)
