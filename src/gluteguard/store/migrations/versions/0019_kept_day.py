"""the coming days' summaries as decided after the last write, for ``gluteguard today`` to show without deciding
again (read with the standard library: store/today_kept.py)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_day",
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("runs_imported", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_kept_day_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("athlete_id", "day", name=op.f("pk_kept_day")),
    )


def downgrade() -> None:
    op.drop_table("kept_day")
