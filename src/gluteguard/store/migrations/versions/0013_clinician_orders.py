"""clinician-only notes and clinician orders (hold or lower the strength stage, exclude an exercise)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00

Both tables keep the clinician's account, name and role as written (the name stays when the account is gone),
when it was written, and when it ended: a note is retracted, an order is lifted (``revoked_at``) or runs out on
its own (``ends_on``). A single-user database gains them empty and plans exactly as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinician_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("author_role", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athlete.id"], name=op.f("fk_clinician_note_athlete_id_athlete"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_clinician_note_author_id_app_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_note")),
    )
    op.create_index("ix_clinician_note_athlete_created", "clinician_note", ["athlete_id", "created_at"], unique=False)
    op.create_table(
        "clinician_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("clinician_name", sa.String(length=120), nullable=False),
        sa.Column("clinician_role", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("exercise_id", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_by_name", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athlete.id"], name=op.f("fk_clinician_order_athlete_id_athlete"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["app_user.id"],
            name=op.f("fk_clinician_order_clinician_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_order")),
    )
    op.create_index("ix_clinician_order_athlete_kind", "clinician_order", ["athlete_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_clinician_order_athlete_kind", table_name="clinician_order")
    op.drop_table("clinician_order")
    op.drop_index("ix_clinician_note_athlete_created", table_name="clinician_note")
    op.drop_table("clinician_note")
