"""Alembic environment: migrations run on the connection :func:`cds.db.upgrade` hands in.

Run from the command line without one (``alembic -x ...`` is not used), it connects to the
database of the settings (``DATABASE_URL``), as ``cds db upgrade`` does.
"""

from __future__ import annotations

from alembic import context

from cds.db import Database

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - `cds db upgrade` always hands in a connection
    from cds.settings import get_settings

    Database.from_url(get_settings().database_url).upgrade()
else:
    # render_as_batch: SQLite cannot ALTER most things; batch mode recreates the table instead.
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    context.run_migrations()
