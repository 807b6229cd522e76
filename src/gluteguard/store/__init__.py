"""Persistence: SQLAlchemy models, Alembic migrations, and the stream codec."""
