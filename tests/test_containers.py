"""Slow lane: a render ships. Its image builds, runs the production way and drains on SIGTERM;
compose brings the whole service up. Tried for real against a Docker API, for one async and one
sync combination; where no Docker API answers, each test skips and says how to get one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from filelock import FileLock

from tests.conftest import CONTAINER_PROPERTY, Project, with_projects
from tests.containers import (
    Database,
    container_logs,
    docker,
    free_port,
    http_status,
    network,
    post_json,
    postgres_container,
    published_port,
    require_docker,
    unique,
    wait_until,
)
from tests.matrix import interpreter_for
from tests.rendering import clean_env, project_env, run

pytestmark = pytest.mark.slow

SHIPPED = ("async-auth-github", "sync-noauth-gitlab")
SECRET_KEY = "meta-suite-secret-key-that-is-long-enough-for-hs256"  # noqa: S105 (a test key)
IN_FLIGHT = 8
WORKERS = 2
READY_SECONDS = 120


@dataclass(frozen=True)
class Image:
    """A render's image, built once per session."""

    tag: str
    project: Project
    build_seconds: float


def project_tools_env(project: Project, uv_cache: Path, **overrides: str) -> dict[str, str]:
    """The environment the render's own tools run in; skip where its Python is missing."""
    interpreter = interpreter_for(project.combination.python_version)
    if interpreter is None:
        pytest.skip(f"no Python {project.combination.python_version} here")
    return project_env(interpreter, uv_cache, project.artifacts, **overrides)


@pytest.fixture
def image(project: Project, uv_cache: Path) -> Image:
    """The render's image, built from its Dockerfile once per session (under a lock, for xdist)."""
    require_docker()
    tag = f"cfs-meta/{project.combination.id}:latest"
    record = project.artifacts / "image.json"
    with FileLock(project.path.parent / "image.lock"):
        if not record.exists():
            # The issue-11 hook writes uv.lock when the index answers; the image needs one.
            if not (project.path / "uv.lock").exists():
                lock = run(
                    ["make", "lock"],
                    cwd=project.path,
                    env=project_tools_env(project, uv_cache),
                    log=project.artifacts / "make-lock.log",
                    timeout=300,
                )
                assert lock.returncode == 0, lock.explain()
            started = time.monotonic()
            docker("build", "--tag", tag, str(project.path), timeout=900)
            record.write_text(json.dumps({"seconds": time.monotonic() - started}), "utf-8")
    return Image(tag, project, json.loads(record.read_text("utf-8"))["seconds"])


@pytest.fixture
def database(image: Image) -> Iterator[Database]:
    """A PostgreSQL container with the schema applied by the image's own `migrate`."""
    with network() as net, postgres_container(net) as db:
        migrate = docker(
            "run", "--rm", "--network", net, "--env", f"DATABASE_URL={db.url_in_network}",
            "--env", f"SECRET_KEY={SECRET_KEY}", image.tag, "migrate",
        )  # fmt: skip
        assert "Running upgrade" in migrate.stderr + migrate.stdout
        yield db


@pytest.fixture
def api(image: Image, database: Database) -> Iterator[tuple[str, str]]:
    """The image's default command on the database; its container name and base URL."""
    name = unique("cfs-api")
    started = time.monotonic()
    docker(
        "run", "--detach", "--name", name, "--network", database.network,
        "--publish", "127.0.0.1::8000", "--env", f"DATABASE_URL={database.url_in_network}",
        "--env", f"SECRET_KEY={SECRET_KEY}", "--env", f"WEB_CONCURRENCY={WORKERS}", image.tag,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{published_port(name, 8000)}"
        wait_until(
            f"{url}/health/ready to answer 200\n{container_logs(name)}",
            lambda: http_status(f"{url}/health/ready") == 200,
            seconds=READY_SECONDS,
        )
        (image.project.artifacts / "ready-seconds.txt").write_text(
            f"{time.monotonic() - started:.1f}\n", "utf-8"
        )
        yield name, url
    finally:
        docker("rm", "--force", name, check=False)


@with_projects(SHIPPED)
def test_image_runs_as_non_root_and_holds_only_the_service(
    image: Image, record_property: Any
) -> None:
    record_property(CONTAINER_PROPERTY, json.dumps({"build s": round(image.build_seconds)}))
    user = docker("image", "inspect", "--format", "{{.Config.User}}", image.tag).stdout.strip()
    assert user.split(":")[0].isdigit(), f"USER is {user!r}: Kubernetes needs a numeric UID"
    assert not user.startswith("0"), f"USER is {user!r}"
    # No shell is needed to check: `test` and `id` come with the slim base image.
    inside = docker(
        "run", "--rm", image.tag, "sh", "-c",
        "id -u; for path in /app/.env /app/tests /app/.git /app/src /bin/uv /usr/local/bin/uv; "
        "do test -e $path && echo present: $path; done; command -v uv gcc || true",
    ).stdout.split()  # fmt: skip
    assert inside[0] != "0", "the process runs as root"
    assert inside[1:] == [], f"the image holds what it should not: {inside[1:]}"


@with_projects(SHIPPED)
def test_image_passes_the_render_e2e_suite(
    image: Image, api: tuple[str, str], uv_cache: Path, record_property: Any
) -> None:
    _, url = api
    ready = (image.project.artifacts / "ready-seconds.txt").read_text("utf-8").strip()
    record_property(CONTAINER_PROPERTY, json.dumps({"ready s": ready}))
    env = project_tools_env(image.project, uv_cache, BASE_URL=url)
    with FileLock(image.project.path.parent / "setup.lock"):
        setup = run(
            ["make", "setup"], cwd=image.project.path, env=env,
            log=image.project.artifacts / "make-setup-containers.log", timeout=900,
        )  # fmt: skip
    assert setup.returncode == 0, setup.explain()
    # The slow e2e tests start servers of their own; the rest run against the container.
    suite = run(
        ["uv", "run", "pytest", "tests/e2e", "-m", "not slow", "--no-cov", "-p", "no:randomly"],
        cwd=image.project.path,
        env=env,
        log=image.project.artifacts / "e2e-against-container.log",
        timeout=600,
    )
    assert suite.returncode == 0, suite.explain()
    assert " passed" in suite.tail(), suite.tail()
    assert "skipped" not in suite.tail(), suite.tail()


def signup_payload(project: Project) -> dict[str, str]:
    """A new user's signup body for this render."""
    payload = {"email": f"drain-{uuid.uuid4().hex[:12]}@example.com", "full_name": "Drain"}
    if project.combination.value("use_auth"):
        payload["password"] = "drain password 123"  # noqa: S105 (a test account)
    return payload


def waiting_on_a_lock(connection: psycopg.Connection[Any]) -> int:
    """The service's sessions stuck behind the test's table lock."""
    row = connection.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0


@with_projects(SHIPPED)
def test_sigterm_under_load_drops_no_request_in_flight(
    image: Image, database: Database, api: tuple[str, str], record_property: Any
) -> None:
    """Signups held in the service by a table lock; SIGTERM; then the lock goes: all answer 201."""
    name, url = api
    # One live worker answers the probe; each must be up before it is asked to drain.
    wait_until(
        f"{WORKERS} workers to start",
        lambda: container_logs(name).count("Application startup complete") == WORKERS,
        seconds=READY_SECONDS,
    )
    with (
        psycopg.connect(database.url_from_host, autocommit=True) as observer,
        psycopg.connect(database.url_from_host) as locker,
        ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool,
    ):
        locker.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        requests = [
            pool.submit(post_json, f"{url}/api/v1/users", signup_payload(image.project), 120)
            for _ in range(IN_FLIGHT)
        ]
        wait_until(
            f"{IN_FLIGHT} signups in flight", lambda: waiting_on_a_lock(observer) == IN_FLIGHT, 60
        )
        docker("kill", "--signal", "TERM", name)
        wait_until(
            "gunicorn to take the SIGTERM",
            lambda: "Handling signal: term" in container_logs(name),
            seconds=30,
        )
        locker.rollback()
        statuses = [request.result() for request in requests]
    exit_code = docker("wait", name, timeout=120).stdout.strip()
    logs = container_logs(name)
    completed = statuses.count(201)
    drain = {"in flight": IN_FLIGHT, "completed": completed, "failed": IN_FLIGHT - completed}
    record_property(CONTAINER_PROPERTY, json.dumps(drain))
    assert statuses == [201] * IN_FLIGHT, logs
    assert exit_code == "0", logs
    assert logs.count("Application shutdown complete") == WORKERS, logs


@with_projects(SHIPPED)
def test_compose_brings_the_service_up(image: Image, shared_dir: Path) -> None:
    project = image.project
    port = free_port()
    compose_project = unique("cfs-compose")
    # The user's environment (DOCKER_HOST included), nothing of the meta session's.
    env = clean_env(API_PORT=str(port))
    compose = ["docker", "compose", "--project-name", compose_project]
    # compose.yaml names the image after the project slug, the same in every combination:
    # one compose run at a time, so each starts the image it has just built.
    with FileLock(shared_dir / "compose.lock"):
        try:
            up = subprocess.run(
                [*compose, "up", "--build", "--detach"],
                cwd=project.path, env=env, capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip
            assert up.returncode == 0, up.stdout + up.stderr
            wait_until(
                f"compose's api to answer /health/ready on port {port}",
                lambda: http_status(f"http://127.0.0.1:{port}/health/ready") == 200,
                seconds=READY_SECONDS,
            )
        finally:
            subprocess.run(
                [*compose, "down", "--volumes"],
                cwd=project.path, env=env, capture_output=True, timeout=300, check=False,
            )  # fmt: skip


@with_projects(SHIPPED)
def test_a_build_without_uv_lock_stops_and_says_to_run_make_lock(
    image: Image, tmp_path: Path
) -> None:
    """Everything the image needs but the lock: the build fails with what to do."""
    context = tmp_path / "context"
    ignored = shutil.ignore_patterns("uv.lock", ".venv", ".git", "tests", "*.log")
    shutil.copytree(image.project.path, context, ignore=ignored)
    build = docker("build", "--tag", f"{image.tag}-nolock", str(context), check=False)
    assert build.returncode != 0
    assert "run `make lock` and commit uv.lock" in build.stdout + build.stderr
