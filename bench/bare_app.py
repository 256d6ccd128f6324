"""Bench yardstick: FastAPI + async SQLAlchemy, a rolled-back savepoint and 3 requests a test."""

import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

NOTES = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("text", String))
app = FastAPI()


def get_session() -> AsyncSession: ...  # every test overrides it with its rolled-back session


Session = Annotated[AsyncSession, Depends(get_session)]


@app.post("/notes", status_code=201)
async def add(text: str, session: Session) -> dict[str, Any]:
    note_id = await session.scalar(insert(NOTES).values(text=text).returning(NOTES.c.id))
    await session.commit()
    return {"id": note_id}


@app.get("/notes/{note_id}")
async def read(note_id: int, session: Session) -> dict[str, Any]:
    return {"text": await session.scalar(select(NOTES.c.text).where(NOTES.c.id == note_id))}


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(os.environ["BENCH_DATABASE_URL"])
    async with engine.begin() as connection:  # the bench gives it a fresh database
        await connection.run_sync(NOTES.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[AsyncClient]:
    async with engine.connect() as connection, connection.begin():
        session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint")
        app.dependency_overrides[get_session] = lambda: session
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            yield client
        await session.close()
        await connection.rollback()


@pytest.mark.parametrize("n", range(40))
async def test_bare(client: AsyncClient, n: int) -> None:
    note_id = (await client.post("/notes", params={"text": f"note {n}"})).json()["id"]
    assert (await client.get(f"/notes/{note_id}")).json() == {"text": f"note {n}"}
    assert (await client.get("/notes/0")).json() == {"text": None}
