"""The rendered pipelines that ship: the container job, the image's publication, the smoke tests.

Offline, like the rest of tests/test_pipelines.py: the provider's schema, zizmor, thin jobs
(``make`` lines calling existing targets), and the rules that keep publication to the default
branch with the least privilege. They are not run locally: they need a registry and Docker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.matrix import combinations
from tests.pipelines import (
    PINNED,
    Job,
    _github_jobs,
    _gitlab_jobs,
    check_jsonschema,
    load_yaml,
    makefile_recipes,
    zizmor_findings,
)

GITHUB_FILES = (".github/workflows/container.yml", ".github/workflows/smoke.yml")
GITLAB_FILE = ".gitlab/ship.yml"
SHIP_TARGETS = {"image-e2e", "publish-image", "smoke"}


def renders_of(provider: str) -> pytest.MarkDecorator:
    """Parametrize ``project`` with every combination whose pipeline is ``provider``'s."""
    return pytest.mark.parametrize(
        "project",
        [c for c in combinations() if c.value("ci") == provider],
        indirect=True,
        ids=lambda c: c.id,
    )


def thin_job_problems(jobs: list[Job], makefile: Path) -> list[str]:
    """Jobs that run anything but ``make`` lines, or call targets the Makefile lacks."""
    recipes = makefile_recipes(makefile)
    problems = []
    for job in jobs:
        if not job.make_targets:
            problems.append(f"job {job.id} calls no make target")
        problems += [f"job {job.id}: no target {t}" for t in job.make_targets if t not in recipes]
        problems += [
            f"job {job.id}: logic that lives only in the pipeline: {c}"
            for c in job.commands
            if not c.strip().startswith("make ")
        ]
    return problems


@renders_of("github")
def test_github_ship_workflows_are_valid_thin_and_pinned(project: Project) -> None:
    jobs = []
    for relative in GITHUB_FILES:
        path = project.path / relative
        result = check_jsonschema(path, "github")
        assert result.returncode == 0, result.stdout + result.stderr
        assert zizmor_findings(path) == [], relative
        lines = path.read_text("utf-8").splitlines()
        uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
        assert [u for u in uses if not PINNED.match(u)] == [], relative
        jobs += _github_jobs(load_yaml(path))
    assert not thin_job_problems(jobs, project.path / "Makefile")
    assert {t for job in jobs for t in job.make_targets} == SHIP_TARGETS


@renders_of("github")
def test_github_only_the_publish_job_writes_packages_from_the_default_branch(
    project: Project,
) -> None:
    document = load_yaml(project.path / GITHUB_FILES[0])
    assert document["permissions"] == {}, "no permission unless a job asks for it"
    jobs: dict[str, Any] = document["jobs"]
    writers = {name for name, job in jobs.items() if job["permissions"].get("packages") == "write"}
    assert writers == {"publish"}
    publish = jobs["publish"]
    assert "github.event_name == 'push'" in publish["if"]
    assert "default_branch" in publish["if"]
    assert publish["needs"] == ["container"], "only an image that passed its e2e tests"
    assert "${{ github.sha }}" in publish["env"]["IMAGE"]
    for job in jobs.values():
        checkout = next(
            s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")
        )
        assert checkout["with"]["persist-credentials"] is False
    smoke = load_yaml(project.path / GITHUB_FILES[1])
    assert set(smoke["on"]) == {"workflow_dispatch", "schedule"}
    assert smoke["permissions"] == {"contents": "read"}


@renders_of("gitlab")
def test_gitlab_ship_jobs_are_valid_thin_and_publish_from_the_default_branch(
    project: Project,
) -> None:
    main = load_yaml(project.path / ".gitlab-ci.yml")
    assert {"local": GITLAB_FILE} in main["include"]
    path = project.path / GITLAB_FILE
    result = check_jsonschema(path, "gitlab")
    assert result.returncode == 0, result.stdout + result.stderr
    ship = load_yaml(path)
    jobs = [job for job in _gitlab_jobs(main | ship) if job.id in ship]
    assert not thin_job_problems(jobs, project.path / "Makefile")
    assert {t for job in jobs for t in job.make_targets} == SHIP_TARGETS
    (publish_rule,) = ship["publish"]["rules"]
    assert publish_rule["if"] == (
        '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'
    )
    assert ship["publish"]["variables"]["IMAGE"].endswith(":$CI_COMMIT_SHA")
    sources = " ".join(rule["if"] for rule in ship["smoke"]["rules"])
    assert '"schedule"' in sources
    assert '"web"' in sources
