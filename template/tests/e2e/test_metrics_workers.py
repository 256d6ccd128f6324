"""Metrics with two gunicorn workers: every scrape adds up both, whichever worker answers it.

The server is the production one, started as the image starts it: gunicorn.conf.py with no
PROMETHEUS_MULTIPROC_DIR set, so the configuration's own directory handling is what is tested.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import postgres
from tests.e2e.conftest import free_port, wait_until_live

pytestmark = [
    pytest.mark.slow,
    # gunicorn forks, and the worker pids come from /proc: Linux (CI, containers) only.
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux (/proc)"),
]

REQUESTS = 40
# How long a request count must hold still to be read as settled (see settled_live_requests).
SETTLE_SECONDS = 0.5


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample `/metrics` shows, by name and labels."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def live_requests(url: str) -> float:
    labels = frozenset({"method": "GET", "route": "/health/live", "status": "200"}.items())
    return scrape(url).get(("http_requests_total", labels), 0.0)


def settled_live_requests(url: str) -> float:
    """`live_requests` once it holds still: a worker counts a request after its response is
    sent, so a client that saw the answer may scrape before the count moved."""
    readings = [live_requests(url)]

    def holds_still() -> bool:
        time.sleep(SETTLE_SECONDS)
        readings.append(live_requests(url))
        return readings[-1] == readings[-2]

    wait_for(holds_still)
    return readings[-1]


def pool_size(url: str) -> float:
    return scrape(url)[("db_pool_size", frozenset())]


def worker_pids(master: int) -> list[int]:
    """The live workers of a gunicorn master (Linux: /proc)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text(encoding="utf-8")
    return [int(pid) for pid in children.split()]


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens, its master process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers_started(self) -> int:
        """How many workers have finished their start-up (lifespan) so far."""
        return self.log.read_text(encoding="utf-8").count("Application startup complete")


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """The production gunicorn (gunicorn.conf.py) with two workers, on 127.0.0.1."""
    port = free_port()
    env = {
        name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"
    } | {
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "2",
        # Where gunicorn.conf.py makes its metrics directory: this test's, not the machine's.
        "TMPDIR": str(tmp_path),
    }
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    with (
        log.open("wb") as output,
        subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
            command,
            cwd=postgres.PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        ) as process,
    ):
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_live(url, process, log)
            server = Server(url=url, process=process, log=log)
            wait_for(lambda: server.workers_started() == 2)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=20)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Poll `condition` until it holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {seconds}s")
        time.sleep(0.2)


def test_scrapes_add_up_both_workers_and_forget_a_dead_one(two_workers: Server) -> None:
    url = two_workers.url
    before = settled_live_requests(url)  # the start-up probes
    # Fresh connections from several threads, so both workers take a share.
    with (
        httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0)) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        statuses = list(pool.map(lambda _: client.get("/health/live").status_code, range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    # Whichever worker answers a scrape, it reports the total of both (once the last requests'
    # counts are in: an over-count never settles at REQUESTS either).
    wait_for(lambda: live_requests(url) - before == REQUESTS)
    assert [live_requests(url) - before for _ in range(6)] == [REQUESTS] * 6
    # Each worker's pool keeps 5 connections; the live gauges add up.
    assert pool_size(url) == 10

    [victim, _] = worker_pids(two_workers.process.pid)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: two_workers.workers_started() == 3)
    # The replacement and the survivor: 5 + 5. Without child_exit the dead worker's 5 would
    # still count and this would read 15.
    assert pool_size(url) == 10
