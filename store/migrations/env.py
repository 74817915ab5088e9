"""Alembic environment: runs on the connection handed over by store.migrations (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.models
import store.subscriptions

_ = store.models
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
