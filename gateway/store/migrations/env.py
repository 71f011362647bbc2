"""Alembic environment: runs migrations on the engine handed over by gateway.store.db."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from gateway.store.tables import metadata


def run_migrations_online() -> None:
    engine: sa.Engine | None = context.config.attributes.get("engine")
    if engine is None:
        from gateway.settings import get_settings
        from gateway.store.db import create_engine

        engine = create_engine(get_settings().resolved_database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
