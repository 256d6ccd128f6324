"""The rendered CI pipelines: valid, safe and consistent offline, and green when run locally.

Fast lane, for every combination that renders a pipeline: the provider's JSON schema
(check-jsonschema's built-in copy), zizmor on GitHub workflows, and what the YAML says: every
``make`` target exists, every job that runs tests beyond the unit layer has a PostgreSQL service
whose URL reaches it as TEST_DATABASE_URL, the Python is the answer's.

Slow lane, for one combination per provider: every job's commands run here in order, in a
clean environment, on a local PostgreSQL standing in for the service container.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    LOCAL_PIPELINE_PROPERTY,
    RESULT_PROPERTY,
    Project,
    git_status_at,
    with_projects,
)
from tests.matrix import combinations, interpreter_for
from tests.pipelines import (
    LOCAL_RUNS,
    PINNED,
    LocalPostgres,
    Pipeline,
    check_jsonschema,
    ci_env,
    gitlab_job_spec,
    gitlab_variables,
    makefile_recipes,
    needs_postgres,
    pipeline_path,
    read_pipeline,
    run_pipeline,
    service_url_problems,
    zizmor_findings,
)
from tests.rendering import clean_env, project_env, run
from tests.suite_report import COVERAGE_GATE, read_coverage, read_junit, report_problems

# The parts of `make test` the pipelines run as separate jobs, each with its coverage data file.
PARTS = ("unit", "integration", "api", "e2e", "slow")


def pipeline_of(project: Project) -> Pipeline:
    """The render's pipeline, read."""
    path = pipeline_path(project.path)
    assert path is not None, "no pipeline rendered"
    return read_pipeline(path)


def renders_of(*providers: str) -> pytest.MarkDecorator:
    """Parametrize ``project`` with every combination whose pipeline is one of ``providers``."""
    return pytest.mark.parametrize(
        "project",
        [c for c in combinations() if c.value("ci") in providers],
        indirect=True,
        ids=lambda c: c.id,
    )


pipeline_project = renders_of("github", "gitlab")


@pipeline_project
def test_pipeline_matches_the_provider_schema(project: Project) -> None:
    """check-jsonschema with its built-in GitHub workflow or GitLab CI schema passes."""
    pipeline = pipeline_of(project)
    result = check_jsonschema(pipeline.path, pipeline.provider)
    assert result.returncode == 0, result.stdout + result.stderr


@renders_of("github")
def test_github_workflow_has_no_zizmor_finding(project: Project) -> None:
    """zizmor, offline, finds nothing of medium severity or above."""
    assert zizmor_findings(pipeline_of(project).path) == []


@pipeline_project
def test_pipeline_calls_only_existing_make_targets(project: Project) -> None:
    """Every job is a Makefile call, and every target it calls exists."""
    recipes = makefile_recipes(project.path / "Makefile")
    for job in pipeline_of(project).jobs:
        assert job.make_targets, f"job {job.id} calls no make target"
        assert not [t for t in job.make_targets if t not in recipes], job.id
        not_make = [c for c in job.commands if not c.strip().startswith("make ")]
        assert not not_make, f"job {job.id}: logic that lives only in the pipeline: {not_make}"


@pipeline_project
def test_database_jobs_have_a_postgres_service_and_its_url(project: Project) -> None:
    """A job that runs integration, API, e2e or slow tests reaches its service's database."""
    recipes = makefile_recipes(project.path / "Makefile")
    problems = []
    for job in pipeline_of(project).jobs:
        if any(needs_postgres(target, recipes) for target in job.make_targets):
            problems += service_url_problems(job)
        elif job.services:
            problems.append(f"job {job.id} starts a service it does not need")
    assert not problems, "\n".join(problems)


def test_makefile_reading_tells_database_targets_apart(project: Project) -> None:
    """The reader behind the check above: only the unit layer runs without PostgreSQL."""
    recipes = makefile_recipes(project.path / "Makefile")
    tests = {t for t in recipes if t == "test" or t.startswith("test-")}
    assert {t for t in tests if not needs_postgres(t, recipes)} == {"test-unit"}
    assert {"test", "test-integration", "test-api", "test-e2e", "test-slow"} <= tests


@pipeline_project
def test_pipeline_python_is_the_answer(project: Project) -> None:
    """Every job runs on the Python version the answers chose."""
    wrong = {
        job.id: job.python
        for job in pipeline_of(project).jobs
        if job.python != project.combination.python_version
    }
    assert not wrong


@pipeline_project
def test_pipeline_runs_each_test_part_once_and_gates_the_combined_coverage(
    project: Project,
) -> None:
    """The parts of ``make test`` each run in one job; one job after them runs the gate."""
    pipeline = pipeline_of(project)
    targets = Counter(t for job in pipeline.jobs for t in job.make_targets)
    parts = [f"test-{part}" for part in PARTS]
    assert {part: targets[part] for part in parts} == dict.fromkeys(parts, 1)
    assert targets["lint"] == 1
    (gate,) = [job for job in pipeline.jobs if "coverage" in job.make_targets]
    producers = {job.id for job in pipeline.jobs if set(job.make_targets) & set(parts)}
    assert producers <= set(gate.needs)
    unit = next(job for job in pipeline.jobs if "test-unit" in job.make_targets)
    assert not unit.services, "unit tests run with no services"


@pipeline_project
def test_pipeline_triggers_cancellation_and_cache(project: Project) -> None:
    """Pushes and pull/merge requests; superseded runs cancelled; uv's cache keyed on uv.lock."""
    pipeline = pipeline_of(project)
    document = pipeline.document
    if pipeline.provider == "github":
        assert set(document["on"]) == {"push", "pull_request"}
        assert document["concurrency"]["cancel-in-progress"] is True
        for job in pipeline.jobs:
            setup = next(s for s in job.steps if s.text.startswith("astral-sh/setup-uv@"))
            assert setup.inputs["enable-cache"] is True
            assert "uv.lock" in setup.inputs["cache-dependency-glob"].split()
    else:
        rules = " ".join(rule["if"] for rule in document["workflow"]["rules"])
        assert "merge_request_event" in rules
        assert "$CI_COMMIT_BRANCH" in rules
        assert document["workflow"]["auto_cancel"]["on_new_commit"] == "interruptible"
        assert document["default"]["interruptible"] is True
        assert "uv.lock" in document["default"]["cache"]["key"]["files"]
        variables = document["variables"]
        assert variables["UV_CACHE_DIR"] + "/" in document["default"]["cache"]["paths"]
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", variables["UV_CACHE_DIR"] + "/x"],
            cwd=project.path,
            check=False,
        )
        assert ignored.returncode == 0, "the project-local uv cache must be gitignored"


@pipeline_project
@pytest.mark.parametrize(
    ("ci", "lock", "command"),
    [
        pytest.param("true", True, "uv sync --locked", id="ci-with-lock"),
        pytest.param("true", False, "uv sync", id="ci-without-lock"),
        pytest.param("", True, "uv sync", id="developer"),
    ],
)
def test_setup_installs_a_present_lock_exactly_in_ci(
    project: Project, tmp_path: Path, ci: str, lock: bool, command: str
) -> None:
    """With CI set, a uv.lock that no longer matches pyproject.toml fails the build."""
    # setup syncs when pyproject.toml or uv.lock is newer than its stamp in .venv (none here).
    (tmp_path / "pyproject.toml").touch()
    if lock:
        (tmp_path / "uv.lock").touch()
    dry_run = subprocess.run(
        ["make", "--dry-run", "--file", str(project.path / "Makefile"), "setup"],
        cwd=tmp_path,
        env=clean_env(CI=ci),
        capture_output=True,
        text=True,
        check=True,
    )
    assert dry_run.stdout.splitlines()[0] == command


@renders_of("github")
def test_github_workflow_is_least_privilege_and_pinned(project: Project) -> None:
    """Read-only token, no job asking for more, actions pinned by SHA, no persisted token."""
    pipeline = pipeline_of(project)
    document = pipeline.document
    assert document["permissions"] == {"contents": "read"}
    assert not [name for name, job in document["jobs"].items() if "permissions" in job]
    lines = pipeline.path.read_text(encoding="utf-8").splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses
    assert [u for u in uses if not PINNED.match(u)] == []
    for job in pipeline.jobs:
        checkout = next(s for s in job.steps if s.text.startswith("actions/checkout@"))
        assert checkout.inputs.get("persist-credentials") is False, job.id


@renders_of("gitlab")
def test_gitlab_has_a_docker_in_docker_variant_for_testcontainers(project: Project) -> None:
    """A documented template a team extends on DinD runners instead of the service."""
    pipeline = pipeline_of(project)
    spec = gitlab_job_spec(pipeline.document, ".testcontainers-dind")
    variables = gitlab_variables(pipeline.document, spec)
    assert variables["DOCKER_HOST"] == "tcp://docker:2375"
    assert variables["DOCKER_TLS_CERTDIR"] == ""
    # The names testcontainers 4 reads (core/config.py: TC_HOST, else this one).
    assert variables["TESTCONTAINERS_HOST_OVERRIDE"] == "docker"
    assert "TEST_DATABASE_URL" not in variables, "the suite would use it instead of Docker"
    (dind,) = spec["services"]
    assert re.fullmatch(r"docker:[\w.-]+-dind", dind["name"])
    assert dind["alias"] == "docker"
    documented = comment_above(pipeline.path, ".testcontainers-dind:")
    assert "extends" in documented, "say how a job uses it"
    assert "privileged" in documented, "say what the runner needs"


def comment_above(path: Path, line: str) -> str:
    """The comment lines right above ``line`` in a file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    comment: list[str] = []
    for previous in reversed(lines[: lines.index(line)]):
        if not previous.startswith("#"):
            break
        comment.insert(0, previous)
    return "\n".join(comment)


# Local run ------------------------------------------------------------------------------------


def junit_ids(path: Path) -> list[str]:
    """The ids of the tests a junit report lists, failed or not."""
    # The report comes from a rendered suite this test just ran, not from outside.
    root = ET.parse(path).getroot()  # noqa: S314
    return [f"{case.get('classname')}.{case.get('name')}" for case in root.iter("testcase")]


def collected_ids(checkout: Path, env: dict[str, str], log: Path) -> list[str]:
    """The ids of every test ``make test`` would run, in junit's spelling."""
    result = run(
        ["uv", "run", "pytest", "--collect-only", "-q", "--no-cov", "-p", "no:randomly"],
        cwd=checkout,
        env=env,
        log=log,
        timeout=300,
    )
    assert result.returncode == 0, result.explain()
    nodeids = [line for line in log.read_text(encoding="utf-8").splitlines() if "::" in line]
    return [junit_spelling(nodeid) for nodeid in nodeids]


def junit_spelling(nodeid: str) -> str:
    """A pytest node id as junit spells it: ``tests/api/test_x.py::test_y[GET /a]`` is
    ``tests.api.test_x.test_y[GET /a]``. Only the file part's slashes become dots: a parameter id
    keeps its own.
    """
    path, _, rest = nodeid.partition("::")
    return ".".join([path.removesuffix(".py").replace("/", "."), *rest.split("::")])


def combined_coverage(checkout: Path, env: dict[str, str], workdir: Path) -> float | None:
    """The gate job's combined total, exactly (its report prints it rounded); None if that job
    never ran."""
    report = workdir / "coverage.json"
    if not checkout.is_dir():
        return None
    run(
        ["uv", "run", "coverage", "json", "-o", str(report), "--fail-under=0"],
        cwd=checkout,
        env=env,
        log=workdir / "coverage-json.log",
        timeout=120,
    )
    return read_coverage(report)


def git_status_of(checkout: Path, uv_cache: Path) -> str:
    """What ``git status`` shows in a job's checkout after its commands: nothing, as for a user.

    Bar the runner's own stand-in for GitLab's cache: a link to the session's uv cache where
    GitLab has a directory, which the render's ``.uv-cache/`` pattern ignores (a pattern with a
    slash matches no link).
    """

    def is_cache_link(line: str) -> bool:
        path = checkout / line[3:]
        return line.startswith("?? ") and path.is_symlink() and path.resolve() == uv_cache.resolve()

    lines = git_status_at(checkout).splitlines()
    return "\n".join(line for line in lines if not is_cache_link(line))


@pytest.mark.slow
@with_projects(LOCAL_RUNS)
def test_pipeline_runs_green_locally(
    project: Project, uv_cache: Path, postgres: Any, record_property: Any
) -> None:
    """Every job's commands, in order, pass here; the coverage data really flows to the gate.

    Each test runs in exactly one job (the junit reports of all commands together list each
    collected test once), and the gate job's report holds the combined total. This is the
    combination's whole suite, so it gets the rendered-suite test's checks and its row in the
    table (tests/test_rendered_suite.py leaves these combinations out). Its skips are judged
    as where no Docker API answers: the session's Docker engine may still be starting, and the
    rendered-suite tests prove the testcontainers path.
    """
    combination = project.combination
    interpreter = interpreter_for(combination.python_version)
    if interpreter is None:
        pytest.skip(f"no Python {combination.python_version} here")
    pipeline = pipeline_of(project)
    workdir = project.artifacts / "pipeline"
    junit = workdir / "junit"
    junit.mkdir(parents=True)
    env = ci_env(
        pipeline.provider,
        project_env(interpreter, uv_cache, workdir),
    )

    def with_junit(job: Any, index: int, job_env: dict[str, str]) -> dict[str, str]:
        return job_env | {"PYTEST_ADDOPTS": f"--junitxml={junit}/{job.id}-{index}.xml"}

    local = LocalPostgres(postgres.get_uri(), suffix=combination.database.removeprefix("test_"))
    jobs = run_pipeline(
        pipeline,
        source=project.path,
        workdir=workdir,
        env=env,
        uv_cache=uv_cache,
        postgres=local,
        timeout=900,
        per_command=with_junit,
    )
    record_property(
        LOCAL_PIPELINE_PROPERTY,
        json.dumps(
            {
                "combination": combination.id,
                "provider": pipeline.provider,
                "jobs": {job.job: round(job.seconds, 1) for job in jobs},
                "seconds": round(sum(job.seconds for job in jobs), 1),
            }
        ),
    )
    # The rendered-suite checks first, with the table's row recorded whatever they find.
    problems = [run.explain() for job in jobs for run in job.runs if run.returncode != 0]
    if [job.job for job in jobs] != [job.id for job in pipeline.jobs]:
        ids = [job.id for job in pipeline.jobs]
        problems.append(f"jobs run: {[job.job for job in jobs]}, not {ids}")
    layers, failed, skipped, strays = read_junit(*sorted(junit.glob("*.xml")))
    problems += report_problems(layers, failed, skipped, strays, docker_answers=False)
    gate_checkout = workdir / "jobs" / "coverage"
    coverage = combined_coverage(gate_checkout, env, workdir)
    if coverage is None or coverage < COVERAGE_GATE:
        problems.append(f"combined coverage {coverage} is not at the {COVERAGE_GATE:.0f}% gate")
    for job in jobs:
        if status := git_status_of(workdir / "jobs" / job.job, uv_cache):
            problems.append(f"job {job.job} left files git would commit:\n{status}")
    seconds = {job.job: job.seconds for job in jobs}
    result = {
        "combination": combination.id,
        "layers": {layer: dict(counts) for layer, counts in layers.items()},
        "coverage": coverage,
        "setup_seconds": None,  # each job's own `make setup`, inside its seconds
        "lint_seconds": seconds.get("lint"),
        "test_seconds": sum(s for job, s in seconds.items() if job != "lint"),
        "result": "ok (pipeline)" if not problems else "FAILED",
    }
    record_property(RESULT_PROPERTY, json.dumps(result))
    assert not problems, "\n\n".join(problems)

    ran = Counter(i for report in sorted(junit.glob("*.xml")) for i in junit_ids(report))
    expected = Counter(collected_ids(gate_checkout, env, workdir / "collect.log"))
    assert not {i: n for i, n in ran.items() if n > 1}, "tests that ran in two jobs"
    assert sorted(expected - ran) == [], "tests that no job ran"
    assert sorted(ran - expected) == [], "tests that ran but make test would not collect"

    gate = next(job for job in jobs if job.job == "coverage")
    combined = sorted(p.name for p in (gate_checkout / "coverage").glob(".coverage.*"))
    assert combined == [f".coverage.{part}" for part in sorted(PARTS)], "data that never arrived"
    gate_log = gate.runs[-1].log.read_text(encoding="utf-8")
    assert re.search(r"^TOTAL\s.*\s\d+(?:\.\d+)?%$", gate_log, re.MULTILINE), gate_log
    kept = workdir / "artifacts"
    assert list(kept.rglob("coverage.xml")), "no coverage report kept as an artifact"
