"""the runner's weight in the profile (filled from a Strava export's profile.csv when empty)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athlete", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weight_kg", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("athlete", schema=None) as batch_op:
        batch_op.drop_column("weight_kg")
