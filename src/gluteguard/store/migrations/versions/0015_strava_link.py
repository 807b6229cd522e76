"""an athlete's link to Strava: their API application, its tokens and how far the sync has come

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strava_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("client_secret", sa.String(length=128), nullable=False),
        sa.Column("access_token", sa.String(length=128), nullable=True),
        sa.Column("refresh_token", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("scope", sa.String(length=255), nullable=True),
        sa.Column("strava_athlete_id", sa.BigInteger(), nullable=True),
        sa.Column("strava_athlete_name", sa.String(length=255), nullable=True),
        sa.Column("pending_state", sa.String(length=64), nullable=True),
        sa.Column("newest_synced_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_strava_link_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strava_link")),
        sa.UniqueConstraint("athlete_id", name=op.f("uq_strava_link_athlete_id")),
    )


def downgrade() -> None:
    op.drop_table("strava_link")
