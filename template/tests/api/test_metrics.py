"""Prometheus metrics as a scraper sees them: by route template, method and status."""

from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import serve


@pytest.fixture
async def client(app_with: Callable[..., FastAPI]) -> AsyncIterator[AsyncClient]:
    """A client of an app of its own: the session's app has counted other tests' requests."""
    async with serve(app_with()) as client:
        yield client


async def scrape(client: AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of `/metrics`, by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labels(method: str, route: str, status: str) -> frozenset[tuple[str, str]]:
    return frozenset({"method": method, "route": route, "status": status}.items())


async def test_requests_are_counted_and_timed_by_route_template(client: AsyncClient) -> None:
    for _ in range(2):
        await client.get("/health/live")
    await client.get("/health/ready")
    await client.get("/no/such/page")
    samples = await scrape(client)
    live = labels("GET", "/health/live", "200")
    assert samples[("http_requests_total", live)] == 2
    assert samples[("http_request_duration_seconds_count", live)] == 2
    assert samples[("http_request_duration_seconds_sum", live)] > 0
    assert samples[("http_requests_total", labels("GET", "/health/ready", "200"))] == 1
    assert samples[("http_requests_total", labels("GET", "unmatched", "404"))] == 1


async def test_ids_in_paths_share_one_series(client: AsyncClient) -> None:
    statuses = {(await client.get(f"/api/v1/orders/{order_id}")).status_code for order_id in (7, 8)}
    samples = await scrape(client)
    [status] = statuses
    assert (
        samples[("http_requests_total", labels("GET", "/api/v1/orders/{order_id}", str(status)))]
        == 2
    )


async def test_in_flight_requests_and_the_pool_are_gauged(client: AsyncClient) -> None:
    await client.get("/health/ready")
    samples = await scrape(client)
    # The scrape itself is the one request in flight.
    assert samples[("http_requests_in_flight", frozenset())] == 1
    assert samples[("db_pool_size", frozenset())] == 5
    assert samples[("db_pool_checked_out", frozenset())] == 0


def test_the_metrics_route_stays_out_of_the_openapi_schema(app: FastAPI) -> None:
    assert "/metrics" not in app.openapi()["paths"]
