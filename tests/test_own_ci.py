"""The template's own CI (``.github/workflows/`` here): valid, safe, and derived from copier.yml.

Its matrix is whatever ``make matrix`` prints from copier.yml, so the workflow names no
combination itself; its jobs together run the whole meta suite, each test once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import NO_COMBINATION, ProvidedServer, database_url, provided_server
from tests.matrix import (
    PYTHON,
    REPO_ROOT,
    choice_questions,
    combinations,
    default,
    github_matrix,
    main,
)
from tests.pipelines import (
    EXPRESSION,
    LOCAL_RUNS,
    PINNED,
    Job,
    Pipeline,
    check_jsonschema,
    makefile_recipes,
    read_pipeline,
    service_url_problems,
    zizmor_findings,
)

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"
RECIPES = makefile_recipes(REPO_ROOT / "Makefile")
# The meta suite's modules whose every test renders one combination (the `project` fixture).
BOUND_TO_A_COMBINATION = {"test_pipelines.py", "test_render.py", "test_rendered_suite.py"}


def ci() -> Pipeline:
    """This repo's CI workflow, read."""
    return read_pipeline(CI)


def job_calling(pipeline: Pipeline, target: str) -> Job:
    """The one job whose commands call ``make <target>``."""
    (job,) = [job for job in pipeline.jobs if target in job.make_targets]
    return job


def test_workflows_exist() -> None:
    """The checks below are not vacuous."""
    assert CI in WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(workflow: Path) -> None:
    """check-jsonschema's built-in GitHub workflow schema, offline."""
    result = check_jsonschema(workflow, "github")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_has_no_zizmor_finding(workflow: Path) -> None:
    """zizmor, offline, finds nothing of medium severity or above."""
    assert zizmor_findings(workflow) == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_least_privilege_and_pinned(workflow: Path) -> None:
    """Read-only token, actions pinned by SHA with their version, no persisted token."""
    pipeline = read_pipeline(workflow)
    assert pipeline.document["permissions"] == {"contents": "read"}
    assert not [job for job in pipeline.document["jobs"].values() if "permissions" in job]
    lines = workflow.read_text(encoding="utf-8").splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert [u for u in uses if not PINNED.match(u)] == []
    for job in pipeline.jobs:
        checkout = next(s for s in job.steps if s.text.startswith("actions/checkout@"))
        assert checkout.inputs.get("persist-credentials") is False, job.id


def test_workflow_calls_only_existing_make_targets() -> None:
    """Every job runs this repo's own Makefile targets, which exist."""
    for job in ci().jobs:
        assert job.make_targets, f"job {job.id} calls no make target"
        assert [t for t in job.make_targets if t not in RECIPES] == [], job.id


def test_matrix_comes_from_copier_yml_not_from_the_workflow() -> None:
    """No combination is written in the workflow: its matrix is ``make matrix``'s output."""
    text = CI.read_text(encoding="utf-8")
    written = [c.id for c in combinations() if re.search(rf"\b{re.escape(c.id)}\b", text)]
    assert written == [], "the workflow must not list combinations"
    pipeline = ci()
    producer = job_calling(pipeline, "matrix")
    (table,) = [s for s in pipeline.document["jobs"][producer.id]["steps"] if "run" in s]
    output = pipeline.document["jobs"][producer.id]["outputs"]
    (name,) = output
    assert output[name] == f"${{{{ steps.{table['id']}.outputs.{name} }}}}"
    assert f'echo "{name}=' in table["run"]
    assert '"$GITHUB_OUTPUT"' in table["run"]
    matrix = pipeline.document["jobs"][job_calling(pipeline, "test-one").id]["strategy"]
    assert matrix["matrix"] == {
        "include": f"${{{{ fromJSON(needs.{producer.id}.outputs.{name}) }}}}"
    }
    assert "python -m tests.matrix --github-matrix" in RECIPES["matrix"]


def test_matrix_command_prints_every_combination_with_its_python(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m tests.matrix --github-matrix``: the table of copier.yml, one JSON line."""
    assert main(["--github-matrix"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1
    entries = json.loads(printed)
    assert entries == github_matrix()
    assert [e["id"] for e in entries] == [c.id for c in combinations()]
    assert {e["python"] for e in entries} == set(choice_questions()[PYTHON])


def test_combination_job_runs_one_combination_on_its_python_and_a_postgres_service() -> None:
    """Each matrix entry: its Python installed, make test-one with its id, a PostgreSQL."""
    pipeline = ci()
    job = job_calling(pipeline, "test-one")
    assert job.python == "${{ matrix.python }}"
    # The id reaches the shell through the environment, never pasted into the command.
    assert job.env["COMBO"] == "${{ matrix.id }}"
    assert job.commands == ['make test-one COMBO="$COMBO"']
    assert service_url_problems(job, "META_DATABASE_URL", test_database=False) == []
    assert "$(COMBO)" in RECIPES["test-one"]


def test_jobs_of_no_combination_run_on_the_default_answers_python() -> None:
    """The planted bugs, the mutation gate and the update scenarios render the default answers:
    their job installs that Python (uv downloads none here), or they fail for want of it."""
    wrong = {
        job.id: job.python
        for job in ci().jobs
        if "test-one" not in job.make_targets and job.python != default(PYTHON)
    }
    assert not wrong, f"install Python {default(PYTHON)}, the default answer"


def test_jobs_together_run_the_whole_meta_suite_once() -> None:
    """test-one per combination, then the tests of no combination split by the slow marker."""
    pipeline = ci()
    assert f"--combination={NO_COMBINATION}" in RECIPES["test-rest"]
    assert '-m "not slow"' in RECIPES["test-rest"]
    assert f"--combination={NO_COMBINATION}" in RECIPES["test-rest-slow"]
    assert "-m slow" in RECIPES["test-rest-slow"]
    called = [t for job in pipeline.jobs for t in job.make_targets]
    assert sorted(called) == sorted(["matrix", "test-one", "lint", "test-rest", "test-rest-slow"])
    # The planted bugs run rendered suites: they get the service too.
    slow = job_calling(pipeline, "test-rest-slow")
    assert service_url_problems(slow, "META_DATABASE_URL", test_database=False) == []
    assert not [job.id for job in pipeline.jobs if EXPRESSION.search(" ".join(job.commands))]


def collected(*args: str) -> list[str]:
    """The node ids a pytest session of this repo would run with ``args``."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_combination_none_selects_the_tests_bound_to_no_combination() -> None:
    """``--combination=none`` keeps the modules that render nothing, and only those."""
    kept = {
        nodeid.split("::")[0].removeprefix("tests/") for nodeid in collected("--combination=none")
    }
    assert kept
    assert not kept & BOUND_TO_A_COMBINATION
    assert {"test_questions.py", "test_template.py", "test_own_ci.py"} <= kept


def test_readme_shows_the_matrix() -> None:
    """The README's matrix lists exactly the combinations copier.yml gives."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The CI matrix", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([\w.-]+)` \|", section, re.MULTILINE)
    assert listed == [c.id for c in combinations()]
    assert "make test-one COMBO=" in section
    run_here = re.findall(r"^\| `([\w.-]+)` \|.*\| yes \|$", section, re.MULTILINE)
    assert sorted(run_here) == sorted(LOCAL_RUNS), "the 'run here' column is not LOCAL_RUNS"


def test_meta_database_url_names_the_session_server(postgres: Any) -> None:
    """With META_DATABASE_URL the session uses that server: databases are made on it."""
    assert provided_server({}) is None
    server = provided_server({"META_DATABASE_URL": postgres.get_uri()})
    assert isinstance(server, ProvidedServer)
    url = database_url(server, "test_meta_provided_server")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (
            "test_meta_provided_server",
        )
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute('DROP DATABASE "test_meta_provided_server" WITH (FORCE)')
