"""The providers behind the suite's PostgreSQL, each started for real where it can be."""

import os
from collections.abc import Iterator

import psycopg
import pytest

from tests import postgres


def _server_version(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.info.server_version


@pytest.fixture
def embedded_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The session's server when it is the embedded one already; the embedded one otherwise."""
    if postgres.choose_provider(os.environ) == "embedded":
        yield request.getfixturevalue("postgres_server_url")
        return
    with postgres.embedded_server() as url:
        yield url


def test_embedded_provider_serves_a_real_postgres(embedded_url: str) -> None:
    assert _server_version(embedded_url) >= 160000


@pytest.fixture
def container_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The session's server when it is a container already (a second one would cost seconds);
    a container of its own otherwise."""
    if postgres.choose_provider(os.environ) == "testcontainers":
        yield request.getfixturevalue("postgres_server_url")
        return
    with postgres.testcontainers_server() as url:
        yield url


@pytest.mark.skipif(
    not postgres.docker_is_available(), reason="no Docker daemon answers: testcontainers path"
)
def test_testcontainers_provider_serves_a_real_postgres(container_url: str) -> None:
    assert _server_version(container_url) >= 160000
