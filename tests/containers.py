"""The Docker CLI, driven the way a user would drive it, for the container checks of the meta suite.

Plain ``docker`` commands rather than the docker SDK: they are what the render's README tells a
user to type, and they work against any Docker-compatible API (Docker, Podman's service).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

POSTGRES_IMAGE = "postgres:18"
NO_DOCKER_HINT = (
    "start Docker, or point DOCKER_HOST at a Docker-compatible API (e.g. `podman system "
    "service`); on a machine without either, .ci/run starts one with ../shared/containers/up"
)
# .ci/run may start that engine in the background, beside the suite's first tests (the mutation
# gates and the local pipeline runs need no Docker): its first start on a machine takes minutes.
# This variable then names the file where the engine's `export NAME=value` lines appear once it
# answers, and `<file>.failed` appears instead if it cannot start. A process sees the engine from
# its first `docker_problem()` on: a render's suite started before that in the same worker (a
# pipeline run, an update scenario, a planted bug) runs as on a machine without Docker, and skips
# its Docker provider test. `tests/test_rendered_suite.py` checks that path in every combination.
BACKGROUND_ENGINE_ENV = "META_DOCKER_ENGINE_ENV"
# Counted from the engine's start (its file's folder is made then), the same for every worker.
BACKGROUND_ENGINE_WAIT = 900.0


def docker(
    *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``docker <args>``; on failure (with ``check``), fail the test with its output."""
    try:
        done = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"`docker {' '.join(args)}` did not finish within {timeout:.0f}s: {error}")
    if check and done.returncode != 0:
        pytest.fail(
            f"`docker {' '.join(args)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def wait_for_background_engine(env_file: Path, deadline: float) -> str | None:
    """Wait until `deadline` (a `time.time()`) for the background engine, then take its variables
    into this process's environment (and every command it starts from now on); else say why."""
    failed = env_file.with_name(env_file.name + ".failed")
    while not env_file.exists():
        if failed.exists():
            return f"the Docker engine .ci/run started failed (see its output): {NO_DOCKER_HINT}"
        if time.time() > deadline:
            return f"the Docker engine .ci/run started did not answer in time: {NO_DOCKER_HINT}"
        time.sleep(1)
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, equals, value = line.removeprefix("export ").partition("=")
        if equals:
            os.environ[name] = "".join(shlex.split(value))
    return None


@cache
def docker_problem() -> str | None:
    """Why no Docker API can be used here, or None when one answers."""
    if engine_env := os.environ.get(BACKGROUND_ENGINE_ENV):
        started = Path(engine_env).parent.stat().st_mtime
        deadline = started + BACKGROUND_ENGINE_WAIT
        if problem := wait_for_background_engine(Path(engine_env), deadline):
            return problem
    try:
        done = subprocess.run(
            ["docker", "version", "--format", "{{.Server.APIVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except FileNotFoundError:
        return f"no `docker` client on PATH: install it and {NO_DOCKER_HINT}"
    except subprocess.TimeoutExpired:
        return f"the Docker API did not answer within 20s: {NO_DOCKER_HINT}"
    if done.returncode != 0:
        return f"no Docker API answers ({done.stderr.strip()[:200]}): {NO_DOCKER_HINT}"
    return None


def require_docker() -> None:
    """Skip the calling test, saying how to get a Docker API, where none answers."""
    if problem := docker_problem():
        pytest.skip(problem)


def unique(prefix: str) -> str:
    """A container or network name no other test or worker uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def published_port(container: str, port: int) -> int:
    """The host port Docker published the container's ``port`` on."""
    mapping = docker("port", container, str(port)).stdout.split()[0]
    return int(mapping.rsplit(":", 1)[1])


def free_port() -> int:
    """A host port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str, timeout: float = 5) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (our URL)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return None


def post_json(url: str, payload: dict[str, str], timeout: float) -> int:
    """POST ``payload`` as JSON; the status (an exception is a dropped request)."""
    request = urllib.request.Request(  # noqa: S310 (our URL)
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_until(what: str, check: Callable[[], bool], seconds: float) -> float:
    """Poll ``check()`` until it is true; the seconds it took. Fails naming ``what``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds:.0f}s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def container_logs(container: str) -> str:
    """Everything the container printed, stdout and stderr together."""
    done = docker("logs", container, check=False)
    return done.stdout + done.stderr


@dataclass(frozen=True)
class Database:
    """A PostgreSQL container: its URL inside the network and from this machine."""

    container: str
    network: str
    url_in_network: str
    url_from_host: str


@contextmanager
def postgres_container(network: str) -> Iterator[Database]:
    """A throwaway PostgreSQL on ``network``, its port published on 127.0.0.1."""
    name = unique("cfs-db")
    docker(
        "run", "--detach", "--name", name, "--network", network, "--publish", "127.0.0.1::5432",
        "--env", "POSTGRES_USER=app", "--env", "POSTGRES_PASSWORD=app", "--env", "POSTGRES_DB=app",
        POSTGRES_IMAGE,
    )  # fmt: skip
    try:
        wait_until(
            "PostgreSQL to accept connections",
            lambda: (
                docker("exec", name, "pg_isready", "-U", "app", "-d", "app", check=False).returncode
                == 0
            ),
            seconds=90,
        )
        port = published_port(name, 5432)
        yield Database(
            container=name,
            network=network,
            url_in_network=f"postgresql://app:app@{name}:5432/app",
            url_from_host=f"postgresql://app:app@127.0.0.1:{port}/app",
        )
    finally:
        docker("rm", "--force", "--volumes", name, check=False)


@contextmanager
def network() -> Iterator[str]:
    """A Docker network of its own, where containers find each other by name."""
    name = unique("cfs-net")
    docker("network", "create", name)
    try:
        yield name
    finally:
        docker("network", "rm", name, check=False)
