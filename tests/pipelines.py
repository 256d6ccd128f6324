"""The rendered CI pipelines read into one shape, GitHub's and GitLab's alike, and run locally.

A ``Pipeline`` is its jobs in run order; a ``Job`` has services, environment and ``Step``s:
``run`` (a shell command), ``uses`` (a GitHub action), ``upload`` and ``download`` (artifacts
between jobs). The static checks read this shape; ``run_pipeline`` executes it on this machine,
each job in a fresh clone of the render, with a local PostgreSQL standing in for the service
container under the variable names the pipeline gives it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import yaml
from psycopg import sql

from tests.rendering import Run, run

GITHUB_WORKFLOW = Path(".github/workflows/ci.yml")
GITLAB_PIPELINE = Path(".gitlab-ci.yml")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
# `make`, then its words up to a shell operator: options, VAR=value and targets.
MAKE_CALL = re.compile(r"\bmake((?:[ \t]+[^\s|;&<>]+)+)")
GITLAB_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}
POSTGRES_PORT = 5432
# One combination per provider runs its pipeline here, job by job (a couple of minutes each):
# its whole suite runs there, so these two are the ones the rendered-suite test leaves out. Not
# the default combination, whose suite runs as the README's literal `make test`.
LOCAL_RUNS = ("sync-auth-github", "async-noauth-gitlab")


class PipelineError(Exception):
    """The pipeline says something this reader or runner does not understand: fix one of them."""


@dataclass
class Service:
    """A service container, and the address its job reaches it at."""

    image: str
    env: dict[str, str]
    host: str
    port: int

    @property
    def is_postgres(self) -> bool:
        """Whether the image is PostgreSQL's."""
        return self.image.split("/")[-1].split(":")[0].split("@")[0] == "postgres"


@dataclass
class Step:
    """One thing a job does, in order.

    ``kind`` is ``run`` (``text`` is the command), ``uses`` (``text`` is the action), ``upload``
    or ``download`` (``name`` is the artifact name or a glob of names, ``paths`` what moves).
    """

    kind: str
    text: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    name: str = ""
    paths: list[str] = field(default_factory=list)
    hidden_files: bool = True


@dataclass
class Job:
    """A job with what it needs to run: its services, variables, Python and steps."""

    id: str
    needs: list[str]
    env: dict[str, str]
    services: list[Service]
    steps: list[Step]
    python: str | None

    @property
    def commands(self) -> list[str]:
        """Its shell commands, in order."""
        return [step.text for step in self.steps if step.kind == "run"]

    @property
    def make_targets(self) -> list[str]:
        """Every ``make`` target its commands call, in order."""
        return [
            word
            for command in self.commands
            for match in MAKE_CALL.finditer(command)
            for word in match.group(1).split()
            if not word.startswith("-") and "=" not in word
        ]


@dataclass
class Pipeline:
    """A provider's pipeline: its jobs in an order that respects their dependencies."""

    provider: str
    path: Path
    document: dict[str, Any]
    jobs: list[Job]
    # GitLab jobs that run only in scheduled pipelines (``make template-check``): checked like
    # the others, but not part of a push's pipeline, so not run locally.
    scheduled: list[Job] = field(default_factory=list)


def pipeline_path(project: Path) -> Path | None:
    """The pipeline file a render holds, if any."""
    for relative in (GITHUB_WORKFLOW, GITLAB_PIPELINE):
        if (project / relative).is_file():
            return project / relative
    return None


class _AnyTagLoader(yaml.SafeLoader):
    """A safe loader that reads tags such as GitLab's ``!reference`` as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_yaml(path: Path) -> dict[str, Any]:
    """A CI file's document (YAML 1.1 reads GitHub's ``on:`` key as True; it is put back)."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506
    if True in document:
        document["on"] = document.pop(True)
    return document


def read_pipeline(path: Path) -> Pipeline:
    """Read a GitHub workflow or a GitLab pipeline."""
    document = load_yaml(path)
    if path.name == GITLAB_PIPELINE.name:
        jobs = _gitlab_jobs(document)
        scheduled = [j for j in jobs if j.id in _scheduled_gitlab_jobs(document)]
        return Pipeline(
            "gitlab", path, document, [j for j in jobs if j not in scheduled], scheduled
        )
    return Pipeline("github", path, document, _github_jobs(document))


def _in_dependency_order(jobs: list[Job]) -> list[Job]:
    """Jobs sorted so each comes after those it needs (file order otherwise)."""
    done: list[Job] = []
    pending = list(jobs)
    while pending:
        ready = [j for j in pending if set(j.needs) <= {d.id for d in done}]
        if not ready:
            raise PipelineError(f"jobs that need unknown or circular jobs: {pending}")
        done.append(ready[0])
        pending.remove(ready[0])
    return done


# GitHub Actions -------------------------------------------------------------------------------


def _github_jobs(document: dict[str, Any]) -> list[Job]:
    workflow_env = {k: str(v) for k, v in (document.get("env") or {}).items()}
    jobs = []
    for job_id, spec in document["jobs"].items():
        needs = spec.get("needs", [])
        services = []
        for service in (spec.get("services") or {}).values():
            ports = [str(p) for p in service.get("ports", [])]
            mapped = [p.split(":")[0] for p in ports if p.endswith(f":{POSTGRES_PORT}")]
            services.append(
                Service(
                    image=service["image"],
                    env={k: str(v) for k, v in (service.get("env") or {}).items()},
                    host="localhost",
                    port=int(mapped[0]) if mapped else 0,
                )
            )
        steps, python = [], None
        for step in spec.get("steps", []):
            inputs = step.get("with") or {}
            if "run" in step:
                steps.append(Step("run", step["run"], condition=step.get("if")))
                continue
            action = step["uses"]
            python = inputs.get("python-version", python)
            name = action.split("@")[0]
            if name == "actions/upload-artifact":
                steps.append(
                    Step(
                        "upload",
                        action,
                        inputs,
                        step.get("if"),
                        name=inputs["name"],
                        paths=str(inputs["path"]).split(),
                        hidden_files=bool(inputs.get("include-hidden-files", False)),
                    )
                )
            elif name == "actions/download-artifact":
                steps.append(
                    Step(
                        "download",
                        action,
                        inputs,
                        step.get("if"),
                        name=inputs.get("pattern") or inputs["name"],
                        paths=[str(inputs.get("path", "."))],
                    )
                )
            else:
                steps.append(Step("uses", action, inputs, step.get("if")))
        env = workflow_env | {k: str(v) for k, v in (spec.get("env") or {}).items()}
        jobs.append(
            Job(
                id=job_id,
                needs=[needs] if isinstance(needs, str) else list(needs),
                env=env,
                services=services,
                steps=steps,
                python=None if python is None else str(python),
            )
        )
    return _in_dependency_order(jobs)


# GitLab CI ------------------------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """GitLab's ``extends``: hashes merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def gitlab_job_spec(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A job's keywords with its ``extends`` chain resolved (hidden templates included)."""
    spec = document[name]
    parents = spec.get("extends", [])
    resolved: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        resolved = _deep_merge(resolved, gitlab_job_spec(document, parent))
    return _deep_merge(resolved, {k: v for k, v in spec.items() if k != "extends"})


def expand(value: str, variables: Mapping[str, str]) -> str:
    """Expand ``$NAME`` and ``${NAME}`` the way GitLab expands variables (unknown ones stay)."""
    pattern = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
    for _ in range(10):
        expanded = pattern.sub(lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), value)
        if expanded == value:
            break
        value = expanded
    return value


def gitlab_variables(document: dict[str, Any], spec: dict[str, Any]) -> dict[str, str]:
    """A job's variables, the global ones under its own, each expanded."""
    raw = {
        k: str(v["value"] if isinstance(v, dict) else v)
        for k, v in ((document.get("variables") or {}) | (spec.get("variables") or {})).items()
    }
    return {name: expand(value, raw) for name, value in raw.items()}


SCHEDULE_RULE = '$CI_PIPELINE_SOURCE == "schedule"'


def _scheduled_gitlab_jobs(document: dict[str, Any]) -> set[str]:
    """The jobs whose only rule is a scheduled pipeline."""
    return {
        str(name)
        for name, spec in document.items()
        if isinstance(spec, dict)
        and [rule.get("if") for rule in spec.get("rules", [{}])] == [SCHEDULE_RULE]
    }


def _gitlab_jobs(document: dict[str, Any]) -> list[Job]:
    default = document.get("default") or {}
    stages = document.get("stages", ["build", "test", "deploy"])
    names = [n for n in document if n not in GITLAB_KEYWORDS and not str(n).startswith(".")]
    # A push's pipeline never holds a scheduled job, so no job of it depends on one.
    scheduled = _scheduled_gitlab_jobs(document)
    specs = {n: _deep_merge(default, gitlab_job_spec(document, n)) for n in names}
    stage_of = {n: stages.index(specs[n].get("stage", "test")) for n in names}
    jobs = []
    for name in sorted(names, key=lambda n: stage_of[n]):
        spec = specs[name]
        variables = gitlab_variables(document, spec)
        services = []
        for service in spec.get("services", []):
            entry = {"name": service} if isinstance(service, str) else service
            image = expand(entry["name"], variables)
            # Without an alias GitLab names the host after the image: postgres:18 -> postgres.
            host = entry.get("alias") or image.split(":")[0].replace("/", "__")
            # Job variables reach service containers too.
            services.append(Service(image, variables, host, POSTGRES_PORT))
        image = expand(str(spec.get("image", "")), variables)
        python = re.search(r"python:?(\d+\.\d+)", image)
        if "needs" in spec:
            needs = [n if isinstance(n, str) else n["job"] for n in spec["needs"]]
        else:
            needs = [n for n in names if stage_of[n] < stage_of[name] and n not in scheduled]
        steps = [Step("download", name=n) for n in needs]
        if cache := spec.get("cache"):
            steps.append(Step("uses", "gitlab:cache", {"paths": cache.get("paths", [])}))
        steps += [Step("run", line) for line in [*spec.get("before_script", []), *spec["script"]]]
        artifacts = spec.get("artifacts") or {}
        if artifacts.get("paths"):
            when = artifacts.get("when", "on_success")
            steps.append(
                Step(
                    "upload",
                    name=name,
                    paths=list(artifacts["paths"]),
                    condition=None if when == "on_success" else when,
                )
            )
        jobs.append(
            Job(
                id=name,
                needs=needs,
                env=variables,
                services=services,
                steps=steps,
                python=python.group(1) if python else None,
            )
        )
    return _in_dependency_order(jobs)


# Offline validators --------------------------------------------------------------------------

# An action pinned by commit, its version in a comment: owner/name@<40 hex> # vX.Y.Z
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
SCHEMA_ARGS = {
    "github": ["--builtin-schema", "vendor.github-workflows"],
    "gitlab": [
        "--builtin-schema",
        "vendor.gitlab-ci",
        "--data-transform",
        "gitlab-ci",
        "--regex-variant",
        "nonunicode",
    ],
}
SEVERITIES = ("unknown", "informational", "low", "medium", "high")


def tool(name: str) -> str:
    """A console script of the meta suite's own environment."""
    return str(Path(sys.executable).parent / name)


def check_jsonschema(path: Path, provider: str) -> subprocess.CompletedProcess[str]:
    """Validate a CI file against the provider's schema, offline."""
    return subprocess.run(
        [tool("check-jsonschema"), *SCHEMA_ARGS[provider], str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def zizmor_findings(path: Path, minimum: str = "medium") -> list[str]:
    """zizmor's offline findings at ``minimum`` severity or above, one line each."""
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if not result.stdout.strip():
        raise PipelineError(f"zizmor printed no report:\n{result.stderr}")
    floor = SEVERITIES.index(minimum)
    return [
        f"{finding['ident']} ({finding['determinations']['severity']}): {finding['desc']}"
        for finding in json.loads(result.stdout)
        if SEVERITIES.index(finding["determinations"]["severity"].lower()) >= floor
    ]


# The rendered Makefile --------------------------------------------------------------------------

TARGET = re.compile(r"^([a-zA-Z][\w-]*):(?!=)(.*)$")


def makefile_recipes(makefile: Path) -> dict[str, str]:
    """Each target of a Makefile with its prerequisites and recipe lines, as one string."""
    recipes: dict[str, str] = {}
    current = None
    for line in makefile.read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") and current:
            recipes[current] += "\n" + line.strip()
        elif match := TARGET.match(line):
            current = match.group(1)
            recipes[current] = match.group(2)
        else:
            current = None
    return recipes


def needs_postgres(target: str, recipes: Mapping[str, str]) -> bool:
    """Whether a target runs tests beyond ``tests/unit``: then it needs a PostgreSQL."""
    recipe = recipes.get(target, "")
    if "$(PYTEST)" not in recipe and "PART," not in recipe:
        return False
    return not all(
        "tests/unit" in line for line in recipe.splitlines() if "PYTEST" in line or "PART" in line
    )


# Running a pipeline here ----------------------------------------------------------------------


def service_url_problems(
    job: Job, variable: str = "TEST_DATABASE_URL", *, test_database: bool = True
) -> list[str]:
    """Why ``variable`` does not lead to the job's PostgreSQL service, if it does not.

    With ``test_database``, the URL must name the service's database and that name must start
    with "test"; otherwise any database of the service will do (a maintenance one, say).
    """
    services = [s for s in job.services if s.is_postgres]
    if not services:
        return [f"job {job.id}: no PostgreSQL service"]
    if variable not in job.env:
        return [f"job {job.id}: {variable} is not set"]
    if EXPRESSION.search(job.env[variable]):
        return [f"job {job.id}: {variable} holds an expression: {job.env[variable]}"]
    url, service = urlsplit(job.env[variable]), services[0]
    user = service.env.get("POSTGRES_USER", "postgres")
    expected = {
        "scheme": ("postgresql", url.scheme),
        "host": (service.host, url.hostname),
        "port": (service.port, url.port or POSTGRES_PORT),
        "user": (user, url.username),
        "password": (service.env.get("POSTGRES_PASSWORD"), url.password),
    }
    if test_database:
        expected["database"] = (service.env.get("POSTGRES_DB", user), url.path.lstrip("/"))
    problems = [
        f"job {job.id}: {variable}'s {what} is {got!r}, the service's {want!r}"
        for what, (want, got) in expected.items()
        if want != got
    ]
    if test_database and not url.path.lstrip("/").startswith("test"):
        problems.append(f"job {job.id}: the test database's name must start with 'test'")
    return problems


@dataclass
class LocalPostgres:
    """A PostgreSQL server of this machine standing in for a job's service container.

    The service's role is created when the server lacks it, its database (renamed with
    ``suffix``: runs that share the server must not share databases) made fresh for each job,
    and URLs aimed at the service are aimed here instead, credentials kept.
    """

    admin_url: str
    suffix: str

    def provide(self, job: Job) -> dict[str, str]:
        """The job's variables with every URL to its PostgreSQL service pointed here."""
        problems = service_url_problems(job)
        if problems:
            raise PipelineError("\n".join(problems))
        service = next(s for s in job.services if s.is_postgres)
        user = service.env.get("POSTGRES_USER", "postgres")
        password = service.env.get("POSTGRES_PASSWORD", "")
        database = f"{service.env.get('POSTGRES_DB', user)}_{self.suffix}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
            if not exists:
                admin.execute(
                    sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                        sql.Identifier(user), sql.Literal(password)
                    )
                )
            name = sql.Identifier(database)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(name, sql.Identifier(user)))
        local = urlsplit(self.admin_url)
        netloc = f"{user}:{password}@{local.hostname or ''}" + (
            f":{local.port}" if local.port else ""
        )
        env = dict(job.env)
        for key, value in job.env.items():
            url = urlsplit(value)
            if url.scheme.startswith("postgres") and url.hostname == service.host:
                env[key] = local._replace(netloc=netloc, path="/" + database).geturl()
        return env


@dataclass
class JobRun:
    """What one job did locally."""

    job: str
    seconds: float
    runs: list[Run]
    passed: bool


StepHook = Callable[[Job, int, dict[str, str]], dict[str, str]]
# Conditions under which a step runs even after a failed one; no condition means "on success".
ALWAYS = {"${{ !cancelled() }}", "${{ always() }}", "always"}


def _upload(step: Step, clone: Path, target: Path, *, keep_paths: bool) -> int:
    """Copy an artifact's files to ``target``; return how many there were.

    GitLab keeps paths relative to the project (``keep_paths``); GitHub roots an artifact at the
    common ancestor of its paths and leaves dotfiles out unless ``include-hidden-files``.
    """
    matched = [path for pattern in step.paths for path in clone.glob(pattern.rstrip("/"))]
    if not matched:
        return 0
    if keep_paths:
        root = clone
    elif len(matched) == 1 and matched[0].is_dir():
        root = matched[0]
    else:
        root = Path(os.path.commonpath([m if m.is_dir() else m.parent for m in matched]))
    count = 0
    for path in matched:
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            relative = file.relative_to(root)
            if not file.is_file() or (
                not step.hidden_files and any(p.startswith(".") for p in relative.parts)
            ):
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target / relative)
            count += 1
    return count


def run_pipeline(
    pipeline: Pipeline,
    *,
    source: Path,
    workdir: Path,
    env: Mapping[str, str],
    uv_cache: Path,
    postgres: LocalPostgres,
    timeout: float,
    per_command: StepHook | None = None,
) -> list[JobRun]:
    """Run every job, in order, each in a fresh clone of ``source``; stop after a failed job.

    What stands in for each CI feature here:
    - checkout (``actions/checkout``, GitLab's clone): ``git clone`` of the render;
    - the interpreter (``setup-uv``'s ``python-version``, GitLab's image): ``env``'s UV_PYTHON;
    - uv's cache (``setup-uv``'s cache, GitLab's ``cache:``): ``uv_cache``, the session's, as a
      warm cache hit; GitLab's project-local cache dir is a link to it;
    - service containers: ``postgres``;
    - artifacts: copied out of a job's clone into ``workdir/artifacts/<name>`` and back in.
    Each command runs in its own ``bash -eo pipefail`` (the commands are make calls: a shared
    shell would change nothing). ``per_command`` may add variables for one command.
    """
    store = workdir / "artifacts"
    results: list[JobRun] = []
    for job in pipeline.jobs:
        started, runs, failed = time.monotonic(), [], False
        clone = workdir / "jobs" / job.id
        subprocess.run(["git", "clone", "--quiet", str(source), str(clone)], check=True)
        job_env = {**env, **(postgres.provide(job) if job.services else job.env)}
        for index, step in enumerate(job.steps):
            if step.condition is not None and step.condition not in ALWAYS:
                raise PipelineError(f"job {job.id}: unknown condition {step.condition!r}")
            if failed and step.condition is None:
                continue
            if step.kind == "run":
                if EXPRESSION.search(step.text):
                    raise PipelineError(f"job {job.id}: an expression in a command: {step.text}")
                result = run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.text],
                    cwd=clone,
                    env=per_command(job, index, job_env) if per_command else job_env,
                    log=workdir / f"{job.id}-{index}.log",
                    timeout=timeout,
                )
                runs.append(result)
                failed = failed or result.returncode != 0
            elif step.kind == "upload":
                keep_paths = pipeline.provider == "gitlab"
                if not _upload(step, clone, store / step.name, keep_paths=keep_paths):
                    raise PipelineError(f"job {job.id}: artifact {step.name} has no file")
            elif step.kind == "download":
                for artifact in sorted(store.glob("*")):
                    if fnmatch.fnmatch(artifact.name, step.name):
                        # GitHub unpacks into `path`; GitLab restores files where they were.
                        shutil.copytree(
                            artifact, clone / (step.paths or ["."])[0], dirs_exist_ok=True
                        )
            elif step.text == "gitlab:cache":
                uv_cache.mkdir(parents=True, exist_ok=True)
                for path in step.inputs["paths"]:
                    (clone / str(path).rstrip("/")).symlink_to(uv_cache, target_is_directory=True)
            else:
                _check_action(job, step)
        results.append(JobRun(job.id, time.monotonic() - started, runs, not failed))
        if failed:
            break
    return results


# Actions whose job the local run does another way, and why that is the same.
LOCAL_EQUIVALENTS = {
    "actions/checkout": "each job runs in a fresh git clone of the render",
    "astral-sh/setup-uv": "uv is installed; UV_PYTHON and UV_CACHE_DIR are set for the run",
    "actions/setup-python": "UV_PYTHON names a local interpreter of that version",
}


def _check_action(job: Job, step: Step) -> None:
    """An action with a local equivalent passes; any other one is a gap in the local run."""
    if step.text.split("@")[0] not in LOCAL_EQUIVALENTS:
        raise PipelineError(f"job {job.id}: no local equivalent for {step.text}")


def ci_env(provider: str, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus the variables every job of ``provider`` has that a project may read."""
    markers = {"github": {"GITHUB_ACTIONS": "true"}, "gitlab": {"GITLAB_CI": "true"}}
    return {**base, "CI": "true", **markers[provider]}
