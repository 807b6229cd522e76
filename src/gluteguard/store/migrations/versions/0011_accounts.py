"""accounts, care links, invites, login throttling, the audit log and the session-signing secret (shared server)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:40:00

Every existing table already carries ``athlete_id``; a single-user database gains these tables empty and works
exactly as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_app_user_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("athlete_id", name=op.f("uq_app_user_athlete_id")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "care_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_care_link_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["clinician_id"], ["app_user.id"], name=op.f("fk_care_link_clinician_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_link")),
    )
    op.create_index("ix_care_link_clinician_athlete", "care_link", ["clinician_id", "athlete_id"], unique=False)
    op.create_index(op.f("ix_care_link_athlete_id"), "care_link", ["athlete_id"], unique=False)
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_athlete_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["clinician_id"], ["app_user.id"], name=op.f("fk_invite_clinician_id_app_user"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["used_by_athlete_id"], ["athlete.id"],
                                name=op.f("fk_invite_used_by_athlete_id_athlete"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_invite_code_sha256")),
    )
    op.create_index(op.f("ix_invite_clinician_id"), "invite", ["clinician_id"], unique=False)
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index(op.f("ix_login_failure_key"), "login_failure", ["key"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("fk_audit_event_actor_id_app_user"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["athlete_id"], ["athlete.id"], name=op.f("fk_audit_event_athlete_id_athlete"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_athlete_at", "audit_event", ["athlete_id", "at"], unique=False)
    op.create_table(
        "server_secret",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secret")),
    )


def downgrade() -> None:
    op.drop_table("server_secret")
    op.drop_index("ix_audit_event_athlete_at", table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_login_failure_key"), table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index(op.f("ix_invite_clinician_id"), table_name="invite")
    op.drop_table("invite")
    op.drop_index(op.f("ix_care_link_athlete_id"), table_name="care_link")
    op.drop_index("ix_care_link_clinician_athlete", table_name="care_link")
    op.drop_table("care_link")
    op.drop_table("app_user")
