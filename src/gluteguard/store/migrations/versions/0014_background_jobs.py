"""background jobs: our record of each job (owner, progress, the result written once) and its uploaded files; on
PostgreSQL also Procrastinate's queue

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:00:00

Procrastinate's tables and functions go into a schema of their own, ``procrastinate`` (its connections put it on
their search path): they never mix with ours, so the check that the migrations build exactly our models, the data
export and the account deletion see only our tables. The SQL is Procrastinate's own ``schema.sql`` of the installed
version (3.x); a later Procrastinate that changes its schema needs a migration applying its ``sql/migrations``
files in that schema. SQLite has no queue: the single-user app runs jobs in its own process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

QUEUE_SCHEMA = "procrastinate"


def upgrade() -> None:
    op.create_table(
        "background_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("queue_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_background_job_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_job")),
    )
    op.create_index("ix_background_job_athlete_created", "background_job", ["athlete_id", "created_at"],
                    unique=False)
    op.create_table(
        "background_job_chunk",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("file_no", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["background_job.id"],
                                name=op.f("fk_background_job_chunk_job_id_background_job"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "file_no", "seq", name=op.f("pk_background_job_chunk")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _install_queue()


def _install_queue() -> None:
    from procrastinate.schema import SchemaManager

    connection = op.get_bind()
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}")
    # SET LOCAL: only for the rest of this migration's transaction, so the objects land in the queue's schema.
    connection.exec_driver_sql(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
    # The raw driver connection: its text is many statements with % and : in them, not a statement with parameters.
    connection.connection.driver_connection.execute(SchemaManager.get_schema())
    connection.exec_driver_sql("SET LOCAL search_path TO DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    op.drop_table("background_job_chunk")
    op.drop_index("ix_background_job_athlete_created", table_name="background_job")
    op.drop_table("background_job")
