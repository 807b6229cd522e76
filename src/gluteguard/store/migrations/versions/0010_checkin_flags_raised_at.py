"""when a check-in's red-flag answer last turned to yes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flags_raised_at", sa.DateTime(timezone=True), nullable=True))
    # Rows saved before: a raised flag dates from the row's last save (the most a clearance could have seen).
    checkin = sa.table(
        "checkin",
        sa.column("id", sa.Integer),
        sa.column("answers", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("flags_raised_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(checkin.c.id, checkin.c.answers, checkin.c.updated_at)).all()
    for row_id, answers, updated_at in rows:
        if any((answers or {}).get("red_flags", {}).values()):
            connection.execute(checkin.update().where(checkin.c.id == row_id).values(flags_raised_at=updated_at))


def downgrade() -> None:
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_column("flags_raised_at")
