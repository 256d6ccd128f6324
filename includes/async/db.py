"""The database seam, async render: engine, sessions, readiness and the request dependency.

This module, the `service.py` modules and the test fixtures are the only places that differ
between the async and sync renders; routers and schemas are the same in both.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, cast

import anyio
from fastapi import Depends, Request
from sqlalchemy import URL, Engine, event, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from .config import Settings

DRIVER = "postgresql+asyncpg"
# A connect attempt to a dead host gives up after this long (asyncpg waits 60 s otherwise).
CONNECT_TIMEOUT_SECONDS = 5


def sqlalchemy_url(database_url: str) -> URL:
    """Turn a plain `postgresql://` URL (any driver suffix) into one for this render's driver."""
    return make_url(database_url).set(drivername=DRIVER)


@dataclass(frozen=True)
class Database:
    """What the app holds for its lifetime: one engine and the factory of its sessions."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def is_ready(self, *, within_seconds: float) -> bool:
        """True when the database answers `SELECT 1` within that many seconds."""
        try:
            with anyio.fail_after(within_seconds):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except (TimeoutError, OSError, SQLAlchemyError):
            return False
        return True

    @property
    def core_engine(self) -> Engine:
        """The synchronous `Engine` underneath: where pool events and tracing attach."""
        return self.engine.sync_engine

    @asynccontextmanager
    async def open_session(self) -> AsyncIterator[AsyncSession]:
        """A session outside any request (scripts, background jobs)."""
        async with self.sessions() as session:
            yield session


def create_database(settings: Settings) -> Database:
    """Build the engine lazily: nothing connects until the first query."""
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set: point it at a PostgreSQL database.")
    engine = create_async_engine(
        sqlalchemy_url(settings.database_url),
        pool_pre_ping=True,
        # An error's message quotes its SQL, never the values bound to it (emails, hashes): it
        # reaches the logs.
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )
    event.listen(engine.sync_engine, "do_connect", connect_or_operational_error)
    return Database(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))


def connect_or_operational_error(
    dialect: Dialect, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """Connect; a refused, unresolvable or silent host is an `OperationalError`, as it is with
    psycopg, so a request in an outage gets a 503 to retry (problems.py), not a 500.

    asyncpg raises bare socket errors and `TimeoutError` while it connects, which SQLAlchemy
    passes on unwrapped; a bare `OSError` elsewhere stays a 500.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as error:
        raise OperationalError(None, None, error) from error


@asynccontextmanager
async def database_lifespan(settings: Settings) -> AsyncIterator[Database]:
    """Own the engine for the app's lifetime and close its pool on shutdown."""
    database = create_database(settings)
    try:
        yield database
    finally:
        await database.engine.dispose()


async def get_database(request: Request) -> Database:
    """The app's `Database`, from the lifespan state (`async`: see `get_app_settings`)."""
    return cast(Database, request.state.database)


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """One session per request; tests override this dependency with a rolled-back one."""
    async with database.sessions() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
