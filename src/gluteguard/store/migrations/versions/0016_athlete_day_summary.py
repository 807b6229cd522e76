"""the roster's cache of each athlete's day (decided once per data version, read in one query), and an index for
the check-ins' version

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "athlete_day_summary",
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("running_allowed", sa.Boolean(), nullable=False),
        sa.Column("spike_days", sa.JSON(), nullable=False),
        sa.Column("last_checkin", sa.Date(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_athlete_day_summary_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_athlete_day_summary")),
    )
    op.create_index("ix_checkin_athlete_updated", "checkin", ["athlete_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_checkin_athlete_updated", table_name="checkin")
    op.drop_table("athlete_day_summary")
