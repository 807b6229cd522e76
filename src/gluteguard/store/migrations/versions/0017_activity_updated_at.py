"""activities gain ``updated_at`` (set on insert and on every change), so that their version reads from one index
(count, newest id, last change) instead of every row's heap tuple; existing rows take their ``created_at``

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE activity SET updated_at = created_at")
    with op.batch_alter_table("activity") as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index("ix_activity_athlete_updated", "activity", ["athlete_id", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_activity_athlete_updated", table_name="activity")
    with op.batch_alter_table("activity") as batch_op:
        batch_op.drop_column("updated_at")
