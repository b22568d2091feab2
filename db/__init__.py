"""Persistence: SQLAlchemy 2 models, sessions, queries, Alembic migrations, importers."""
