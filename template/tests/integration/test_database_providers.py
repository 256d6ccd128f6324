"""The providers behind the suite's PostgreSQL, each started for real where it can be."""

import psycopg
import pytest

from tests import postgres


def _server_version(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.info.server_version


@pytest.mark.slow
def test_embedded_provider_serves_a_real_postgres() -> None:
    with postgres.embedded_server() as url:
        assert _server_version(url) >= 160000


@pytest.mark.skipif(
    not postgres.docker_is_available(), reason="no Docker daemon answers: testcontainers path"
)
def test_testcontainers_provider_serves_a_real_postgres() -> None:
    with postgres.testcontainers_server() as url:
        assert _server_version(url) >= 160000
