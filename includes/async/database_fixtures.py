"""Database fixtures (async render): one engine per session, one rolled-back session per test.

Each test runs inside an outer transaction that is rolled back afterwards. The session joins it
with `create_savepoint`, so even the application's own `commit()` only releases a savepoint.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.sql import Executable

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


async def execute(session: AsyncSession, statement: Executable) -> Result[Any]:
    """Run `statement` in the test's session: the same call in the sync render."""
    return await session.execute(statement)
