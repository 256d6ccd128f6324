"""The first ten minutes with a render, as its README tells them (slow lane).

``make dev`` starts the service the way a new user does (no ``DATABASE_URL``: the embedded
PostgreSQL in ``.dev-postgres/``); the README's "Try it" block then runs in bash against it,
unchanged but for the port (a free one, so parallel sessions do not collide), and must succeed
and print what the README promises. After the server stops, git sees nothing new: whatever
``make dev`` wrote is ignored. One render with authentication and one without, since their
READMEs show different sessions.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest

from tests.conftest import Project, exclusive, git_status, with_projects
from tests.matrix import interpreter_for
from tests.rendering import project_env

pytestmark = pytest.mark.slow

SESSIONS = ("async-auth-github", "sync-noauth-gitlab")
README_BASE = "BASE=http://127.0.0.1:8000"
# setup (a warm cache) and the embedded PostgreSQL's first initdb, on a busy machine.
START_SECONDS = 300
QUOTE = '{"plan":"pro","seats":12,"unit_price":"99.00","total":"1069.20"}'
# What scripts/dev.py prints once its embedded PostgreSQL runs, before it migrates.
EMBEDDED_STARTED = b"DATABASE_URL is not set: using the embedded PostgreSQL"
# How long a stopped make dev may take to stop its PostgreSQL (a fast shutdown takes a second).
POSTGRES_STOP_SECONDS = 30


def try_it_block(readme: str) -> str:
    """The bash block under the README's "Try it" heading."""
    section = readme.split("### Try it\n", 1)
    assert len(section) == 2, "the README has no `### Try it` section"
    match = re.search(r"```bash\n(.*?)```", section[1], re.DOTALL)
    assert match, "the `### Try it` section has no ```bash block"
    return match.group(1)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_live(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /health/live until it answers; fail with make dev's output if it stopped."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"make dev exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urlopen(f"{url}/health/live", timeout=2) as answer:  # noqa: S310 (http, loopback)
                if answer.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"make dev did not answer within {START_SECONDS}s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to make dev's process group, as a terminal's Ctrl+C reaches all of it."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextmanager
def running_make_dev(
    project: Project, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``make dev`` in the render, its output in ``log``, stopped when the block ends."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["make", "dev"],
            cwd=project.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            stop(server)


@contextmanager
def make_dev(project: Project, env: dict[str, str]) -> Iterator[str]:
    """``make dev`` in the render on ``env["PORT"]``, until the block ends: its URL."""
    log = project.artifacts / "make-dev.log"
    with running_make_dev(project, env, log) as server:
        url = f"http://127.0.0.1:{env['PORT']}"
        wait_until_live(url, server, log)
        yield url


@with_projects(SESSIONS)
def test_readme_session_works_against_make_dev_and_git_stays_clean(
    project: Project, uv_cache: Path
) -> None:
    """The README's curl session succeeds as written; after the server stops, ``git status``
    is still empty."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed; the README's session needs it")
    interpreter = interpreter_for(project.combination.python_version)
    if interpreter is None:
        pytest.skip(f"no Python {project.combination.python_version} here")
    env = project_env(interpreter, uv_cache, project.artifacts, PORT=str(free_port()))
    block = try_it_block((project.path / "README.md").read_text(encoding="utf-8"))
    assert block.startswith(README_BASE + "\n"), block
    assert QUOTE in block, "the README's comment no longer shows what the quote answers"

    with exclusive(project), make_dev(project, env) as url:
        script = f"BASE={url}\n" + block.removeprefix(README_BASE + "\n")
        session = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=project.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        status = git_status(project)

    assert session.returncode == 0, f"{session.stdout}\n{session.stderr}"
    lines = session.stdout.splitlines()
    assert '"email":"ada@example.com"' in lines[0], lines
    assert '"item":"pro","qty":12' in session.stdout, lines
    assert lines[-1] == QUOTE, lines
    assert status == "", f"make dev left files git would commit:\n{status}"


@with_projects(SESSIONS[:1])
def test_make_dev_stopped_while_starting_leaves_no_postgresql_running(
    project: Project, uv_cache: Path
) -> None:
    """SIGTERM to make dev just after its embedded PostgreSQL started (while it migrates) stops
    that server too. Left to its default, the signal kills the script before the exit handler
    that stops the server, which then runs on with nobody to stop it."""
    interpreter = interpreter_for(project.combination.python_version)
    if interpreter is None:
        pytest.skip(f"no Python {project.combination.python_version} here")
    env = project_env(interpreter, uv_cache, project.artifacts, PORT=str(free_port()))
    log = project.artifacts / "make-dev-stopped.log"
    postmaster = project.path / ".dev-postgres" / "postmaster.pid"  # PostgreSQL's, while it runs

    with exclusive(project):
        with running_make_dev(project, env, log) as server:
            deadline = time.monotonic() + START_SECONDS
            while EMBEDDED_STARTED not in log.read_bytes():
                assert server.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.05)
        # make itself exits at once; the script stops the server on its way out.
        deadline = time.monotonic() + POSTGRES_STOP_SECONDS
        while postmaster.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        left_running = postmaster.exists()
        if left_running:  # stop it (a fast shutdown), so that the failure leaves nothing behind
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)

    assert not left_running, f"make dev left its PostgreSQL running:\n{log.read_text()[-3000:]}"


@with_projects(SESSIONS[:1])
def test_make_dev_refuses_a_bad_port_or_setting_before_starting_anything(
    project: Project, uv_cache: Path
) -> None:
    """A ``PORT`` that is no port number or that another process listens on, or an invalid
    setting, stops ``make dev`` with a line that says so and no traceback, before its
    PostgreSQL starts or a migration runs."""
    interpreter = interpreter_for(project.combination.python_version)
    if interpreter is None:
        pytest.skip(f"no Python {project.combination.python_version} here")
    postmaster = project.path / ".dev-postgres" / "postmaster.pid"  # PostgreSQL's, while it runs

    def make_dev_with(**variables: str) -> subprocess.CompletedProcess[str]:
        env = project_env(interpreter, uv_cache, project.artifacts, **variables)
        return subprocess.run(
            ["make", "dev"],
            cwd=project.path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=False,
        )

    with exclusive(project), socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        answers = {
            "80OO": make_dev_with(PORT="80OO"),
            "70000": make_dev_with(PORT="70000"),
            "taken": make_dev_with(PORT=str(taken)),
            "setting": make_dev_with(PORT=str(free_port()), DATABASE_URL="mysql://a:hunter2@db/x"),
        }
        started = postmaster.exists()

    for case, answer in answers.items():
        assert answer.returncode != 0, f"{case}: {answer.stdout}"
        assert "Traceback" not in answer.stderr, f"{case}: {answer.stderr}"
        assert EMBEDDED_STARTED.decode() not in answer.stdout, f"{case}: {answer.stdout}"
    assert "PORT must be a port number from 1 to 65535, not '80OO'" in answers["80OO"].stderr
    assert "not '70000'" in answers["70000"].stderr
    assert f"Port {taken} is taken" in answers["taken"].stderr
    assert f"PORT={taken + 1} make dev" in answers["taken"].stderr
    refused = answers["setting"].stderr
    assert "Invalid settings (in the environment or .env):" in refused
    assert "DATABASE_URL must be a PostgreSQL URL" in refused
    assert "hunter2" not in refused
    assert not started, "make dev started its PostgreSQL though it could not serve"
