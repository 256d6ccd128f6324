"""The database seam, sync render: engine, sessions, readiness and the request dependency.

This module, the `service.py` modules and the test fixtures are the only places that differ
between the async and sync renders; routers and schemas are the same in both. Services are
plain blocking functions wrapped by `in_threadpool`, which runs them where FastAPI runs `def`
endpoints, so routers `await` them exactly as in the async render.
"""

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar, cast

import anyio
from fastapi import Depends, Request
from sqlalchemy import URL, Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from .config import Settings

DRIVER = "postgresql+psycopg"
# A connect attempt to a dead host gives up after this long (psycopg waits forever otherwise).
CONNECT_TIMEOUT_SECONDS = 5

P = ParamSpec("P")
R = TypeVar("R")


def in_threadpool(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Make a blocking service function awaitable without blocking the event loop."""

    @functools.wraps(function)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(function, *args, **kwargs)

    return run


def sqlalchemy_url(database_url: str) -> URL:
    """Turn a plain `postgresql://` URL (any driver suffix) into one for this render's driver."""
    return make_url(database_url).set(drivername=DRIVER)


@dataclass(frozen=True)
class Database:
    """What the app holds for its lifetime: one engine and the factory of its sessions."""

    engine: Engine
    sessions: sessionmaker[Session]
    # One slot per connection the pool may open, and how long a request waits for one: see
    # `session_slot`.
    session_slots: anyio.Semaphore
    slot_timeout_seconds: float

    async def is_ready(self, *, within_seconds: float) -> bool:
        """True when the database answers `SELECT 1` within that many seconds."""
        try:
            with anyio.fail_after(within_seconds):
                # abandon_on_cancel: a thread stuck in connect() must not hold the response.
                await anyio.to_thread.run_sync(self._ping, abandon_on_cancel=True)
        except (TimeoutError, OSError, SQLAlchemyError):
            return False
        return True

    def _ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @property
    def core_engine(self) -> Engine:
        """The synchronous `Engine` underneath: where pool events and tracing attach."""
        return self.engine

    @asynccontextmanager
    async def open_session(self) -> AsyncIterator[Session]:
        """A session outside any request (scripts, background jobs)."""
        with self.sessions() as session:
            yield session


def create_database(settings: Settings) -> Database:
    """Build the engine lazily: nothing connects until the first query."""
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set: point it at a PostgreSQL database.")
    engine = create_engine(
        sqlalchemy_url(settings.database_url),
        pool_pre_ping=True,
        # An error's message quotes its SQL, never the values bound to it (emails, hashes): it
        # reaches the logs.
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    return Database(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        session_slots=anyio.Semaphore(settings.db_pool_size + settings.db_max_overflow),
        slot_timeout_seconds=settings.db_pool_timeout_seconds,
    )


@asynccontextmanager
async def database_lifespan(settings: Settings) -> AsyncIterator[Database]:
    """Own the engine for the app's lifetime and close its pool on shutdown."""
    database = create_database(settings)
    try:
        yield database
    finally:
        database.engine.dispose()


async def get_database(request: Request) -> Database:
    """The app's `Database`, from the lifespan state (`async`: see `get_app_settings`)."""
    return cast(Database, request.state.database)


async def session_slot(database: Annotated[Database, Depends(get_database)]) -> AsyncIterator[None]:
    """Wait, in the event loop, until the pool surely has a connection for this request.

    A request's session keeps its connection from its first query to its end, across several
    trips to the worker threads (one per `in_threadpool` call). Were every thread blocked in
    the pool, waiting for a connection, while the requests holding the connections waited for a
    thread, nothing would move until the pool's timeout: a burst of 60 requests stopped a
    service for minutes that way. Here a request waits without a thread, and no more sessions
    are open than the pool has connections. Past `DB_POOL_TIMEOUT_SECONDS` it is answered 503,
    as a wait in the pool itself would be.
    """
    try:
        with anyio.fail_after(database.slot_timeout_seconds):
            await database.session_slots.acquire()
    except TimeoutError:
        raise PoolTimeoutError("no database connection came free in time") from None
    try:
        yield
    finally:
        database.session_slots.release()


def get_session(
    database: Annotated[Database, Depends(get_database)],
    _slot: Annotated[None, Depends(session_slot, scope="function")],
) -> Iterator[Session]:
    """One session per request; tests override this dependency with a rolled-back one."""
    with database.sessions() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
# Function scope: the session closes, and its slot frees, when the route returns, not after
# the response and its background tasks (a welcome email on a slow SMTP server held a slot).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
