"""the roster's cache of each athlete's day also keeps their newest stride finding and their recent adherence;
the rows kept so far lack them, so they are dropped (a cache: the next roster decides them again)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM athlete_day_summary")
    with op.batch_alter_table("athlete_day_summary") as batch_op:
        batch_op.add_column(sa.Column("stride_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stride_finding", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("adherent", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("athlete_day_summary") as batch_op:
        batch_op.drop_column("adherent")
        batch_op.drop_column("stride_finding")
        batch_op.drop_column("stride_on")
