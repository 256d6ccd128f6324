"""Prometheus metrics at `/metrics` (not in the OpenAPI schema), correct with several workers.

prometheus_client directly, not prometheus-fastapi-instrumentator: the instrumentator's latency
histogram has no status label, its in-flight gauge always lands in the process-wide registry
(a second app in one process, as in tests, fails with "Duplicated timeseries"), and it matches
every request against the routes a second time. Here the router's own match is read back from
the scope, and each app has its own registry.

Several worker processes (gunicorn) share their numbers through files in
`PROMETHEUS_MULTIPROC_DIR`, which must be set, to an empty directory, before prometheus_client
is first imported in the master (it picks in-memory or file-backed counting then; workers fork
from the master): gunicorn.conf.py sets it in `on_starting` and loads this module only after.
`child_exit` below is the gunicorn hook that retires a dead worker's gauges.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.pool import Pool, QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The label of requests no route matched: raw paths would make one series per scanner probe.
UNMATCHED_ROUTE = "unmatched"


@dataclass(frozen=True)
class Metrics:
    """One app's metrics, in its own registry."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    in_flight: Gauge
    pool_size: Gauge
    pool_checked_out: Gauge


def create_metrics() -> Metrics:
    """Fresh metrics; gauges are summed over the live workers in multiprocess mode."""
    registry = CollectorRegistry()
    labels = ("method", "route", "status")
    return Metrics(
        registry=registry,
        requests=Counter("http_requests_total", "Requests answered.", labels, registry=registry),
        latency=Histogram(
            "http_request_duration_seconds",
            "Time from request to the end of the response.",
            labels,
            registry=registry,
        ),
        in_flight=Gauge(
            "http_requests_in_flight",
            "Requests being served.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        pool_size=Gauge(
            "db_pool_size",
            "Connections the database pool keeps open at most (without overflow).",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        pool_checked_out=Gauge(
            "db_pool_checked_out",
            "Database connections in use by a request or a job.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
    )


class MetricsMiddleware:
    """Count, time and track in flight every HTTP request, by route template."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, route_template: Callable[[Scope], str | None]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.route_template = route_template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.in_flight.dec()
            route = self.route_template(scope) or UNMATCHED_ROUTE
            labels = (scope["method"], route, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)


def exposition_registry(metrics: Metrics) -> CollectorRegistry:
    """What `/metrics` shows: this process's registry, or every worker's files."""
    if MULTIPROCESS_DIR_VARIABLE not in os.environ:
        return metrics.registry
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def instrument(app: FastAPI, route_template: Callable[[Scope], str | None]) -> Metrics:
    """Add the middleware and the `/metrics` route to `app`."""
    metrics = create_metrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics, route_template=route_template)

    @app.get(METRICS_PATH, include_in_schema=False)
    async def expose() -> Response:
        return Response(
            generate_latest(exposition_registry(metrics)), media_type=CONTENT_TYPE_LATEST
        )

    return metrics


def watch_pool(pool: Pool, metrics: Metrics) -> None:
    """Keep the pool gauges current as connections are checked out and returned."""
    if isinstance(pool, QueuePool):
        metrics.pool_size.set(pool.size())
    # Counted from the events: inside a `checkin` listener the pool still counts the connection.
    event.listen(pool, "checkout", lambda *_: metrics.pool_checked_out.inc())
    event.listen(pool, "checkin", lambda *_: metrics.pool_checked_out.dec())


def child_exit(_server: object, worker: Any) -> None:
    """gunicorn's `child_exit` hook: drop a dead worker's live gauges (`gunicorn.conf.py`)."""
    if MULTIPROCESS_DIR_VARIABLE in os.environ:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
