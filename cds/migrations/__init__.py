"""Alembic migrations of the service database (see cds.db)."""
