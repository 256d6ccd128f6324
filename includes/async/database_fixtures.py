"""Database fixtures (async render): one engine per session, one rolled-back session per test.

Each test runs inside an outer transaction that is rolled back afterwards. The session joins it
with `create_savepoint`, so even the application's own `commit()` only releases a savepoint.
"""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from {{ package_name }}.db import sqlalchemy_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The session's engine, created on the session's event loop and disposed on it."""
    engine = create_async_engine(sqlalchemy_url(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose every change, committed or not, is gone after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
