"""Alembic environment (async render). The database URL comes from the service's settings.

Tests pass an open connection in `config.attributes["connection"]`, so migrations run inside
their event loop instead of starting a second one with `asyncio.run`.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from {{ package_name }}.config import get_settings
from {{ package_name }}.db import sqlalchemy_url
from {{ package_name }}.models import Base

config = context.config
injected_connection: Connection | None = config.attributes.get("connection")
if config.config_file_name is not None and injected_connection is None:
    fileConfig(config.config_file_name)


def database_url() -> str:
    """The URL from DATABASE_URL, with this render's driver."""
    url = get_settings().database_url
    if url is None:
        raise SystemExit("DATABASE_URL is not set: say which database to migrate.")
    return sqlalchemy_url(url).render_as_string(hide_password=False)


def run_migrations(connection: Connection) -> None:
    """Apply migrations on `connection` in one transaction."""
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_with_own_engine() -> None:
    """Connect, migrate, disconnect."""
    engine = create_async_engine(database_url(), poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif injected_connection is not None:
    run_migrations(injected_connection)
else:
    asyncio.run(run_migrations_with_own_engine())
