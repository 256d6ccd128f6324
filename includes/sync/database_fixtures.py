"""Database fixtures (sync render): one engine per session, one rolled-back session per test.

Each test runs inside an outer transaction that is rolled back afterwards. The session joins it
with `create_savepoint`, so even the application's own `commit()` only releases a savepoint.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Result, create_engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from {{ package_name }}.db import sqlalchemy_url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The session's engine."""
    engine = create_engine(sqlalchemy_url(database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose every change, committed or not, is gone after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


async def execute(session: Session, statement: Executable) -> Result[Any]:
    """Run `statement` in the test's session: awaitable, like the async render's."""
    return session.execute(statement)
