"""Alembic environment: runs on the connection stocktake hands it (see store.db)."""

from alembic import context

from stocktake.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
