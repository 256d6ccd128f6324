"""Fixtures of the meta suite: one render per combination, one PostgreSQL per session.

Under pytest-xdist every worker's base temp dir sits in the controller's, so the controller's
dir is the one place all workers share: renders, the PostgreSQL data dir and the uv cache live
there, each created once under a file lock by whichever worker needs it first.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.matrix import Combination, combinations
from tests.rendering import render

# Commits made while rendering (Copier's draft commit of a dirty work tree, the post-copy hook)
# need an identity; CI machines have none. A developer's own identity, if any, wins.
for _variable, _value in {
    "GIT_AUTHOR_NAME": "Meta Suite",
    "GIT_AUTHOR_EMAIL": "meta-suite@example.com",
    "GIT_COMMITTER_NAME": "Meta Suite",
    "GIT_COMMITTER_EMAIL": "meta-suite@example.com",
}.items():
    os.environ.setdefault(_variable, _value)

RESULT_PROPERTY = "meta_result"


@dataclass(frozen=True)
class Project:
    """A rendered combination: where it is and where its logs and reports go."""

    combination: Combination
    path: Path
    artifacts: Path


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this session sees (the session's own base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", params=combinations(), ids=lambda c: c.id)
def project(request: pytest.FixtureRequest, shared_dir: Path) -> Project:
    """The template rendered once per session for one combination, post-copy hook included.

    Whichever worker needs a combination first renders it, under a lock; the others reuse it.
    Git's view of the fresh render is kept, before any tool adds files to it.
    """
    combination: Combination = request.param
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


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--combination ID`` narrows the session to one combination (``make test-one``)."""
    parser.addoption(
        "--combination",
        metavar="ID",
        help="run only the tests of this combination, e.g. async-auth-github",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect every test that does not render the combination named by ``--combination``."""
    wanted = config.getoption("--combination")
    if wanted is None:
        return
    known = [c.id for c in combinations()]
    if wanted not in known:
        raise pytest.UsageError(f"unknown combination {wanted!r}; one of: {', '.join(known)}")
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        combination = callspec.params.get("project") if callspec else None
        (keep if combination is not None and combination.id == wanted else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect each rendered suite's figures, which workers send with their reports."""
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == RESULT_PROPERTY:
            _results.append(json.loads(value))


_results: list[dict[str, object]] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """End the session with one line per rendered suite that ran."""
    if not _results:
        return
    columns = (
        "combination",
        "unit",
        "integration",
        "api",
        "e2e",
        "coverage",
        "setup s",
        "lint s",
        "test s",
        "result",
    )
    rows = [
        (
            r["combination"],
            *(
                str(r["layers"].get(layer, {}).get("passed", 0))  # type: ignore[union-attr]
                for layer in ("unit", "integration", "api", "e2e")
            ),
            "-" if r["coverage"] is None else f"{r['coverage']:.1f}%",
            f"{r['setup_seconds']:.0f}",
            "-" if r["lint_seconds"] is None else f"{r['lint_seconds']:.0f}",
            f"{r['test_seconds']:.0f}",
            str(r["result"]),
        )
        for r in sorted(_results, key=lambda r: str(r["combination"]))
    ]
    widths = [max(len(str(row[i])) for row in (columns, *rows)) for i in range(len(columns))]
    terminalreporter.write_sep("=", "rendered suites (passed tests per layer)")
    for row in (columns, *rows):
        terminalreporter.write_line(
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True))
        )
