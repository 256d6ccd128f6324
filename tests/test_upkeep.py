"""Upkeep a render brings along: dependency updates and a scheduled template-release check.

GitHub renders get ``.github/dependabot.yml`` and a weekly ``template-check`` workflow; GitLab
renders ``renovate.json`` and a ``template-check`` job of scheduled pipelines. The configuration
files hold no variables, so their schema checks (check-jsonschema's built-in vendor schemas,
offline) run once on the template's files, and each is shown to reject a typo. Renders are
checked for the files their provider gets and nothing else, and for thin, valid jobs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import check_jsonschema as check_jsonschema_package
import pytest
import yaml

from tests.conftest import Project
from tests.matrix import REPO_ROOT, combinations
from tests.pipelines import (
    GITLAB_PIPELINE,
    check_jsonschema,
    makefile_recipes,
    read_pipeline,
    tool,
    zizmor_findings,
)

DEPENDABOT = Path(".github/dependabot.yml")
RENOVATE = Path("renovate.json")
TEMPLATE_CHECK = Path(".github/workflows/template-check.yml")
TEMPLATE = REPO_ROOT / "template"
SOURCES = {
    DEPENDABOT: TEMPLATE / "{% if ci_github %}.github{% endif %}" / "dependabot.yml",
    RENOVATE: TEMPLATE / "{% if ci_gitlab %}renovate.json{% endif %}",
    TEMPLATE_CHECK: TEMPLATE
    / "{% if ci_github %}.github{% endif %}"
    / "workflows"
    / "template-check.yml",
}
SCHEMAS = {DEPENDABOT: "vendor.dependabot", RENOVATE: "vendor.renovate"}


def validate(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against one of its built-in (vendored, offline) schemas."""
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("name", list(SCHEMAS), ids=str)
def test_update_bot_configuration_matches_its_schema(name: Path) -> None:
    """Dependabot's and Renovate's files pass their vendor schemas."""
    result = validate(SOURCES[name], SCHEMAS[name])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "typo"),
    [
        pytest.param(DEPENDABOT, ("package-ecosystem: uv", "package-ecosystem: uvv"), id="dep-eco"),
        pytest.param(DEPENDABOT, ("interval: weekly", "interval: weakly"), id="dep-interval"),
        pytest.param(DEPENDABOT, ("    schedule:", "    schedul:"), id="dep-key"),
        pytest.param(RENOVATE, ('"enabled": true', '"enabled": "yes"'), id="renovate-type"),
    ],
)
def test_the_schemas_reject_a_typo(name: Path, typo: tuple[str, str], tmp_path: Path) -> None:
    """The checks above can fail: one wrong word and the schema says so."""
    text = SOURCES[name].read_text(encoding="utf-8")
    assert typo[0] in text, f"{typo[0]!r} is no longer in {name}"
    broken = tmp_path / name.name
    broken.write_text(text.replace(typo[0], typo[1], 1), encoding="utf-8")
    assert validate(broken, SCHEMAS[name]).returncode != 0


RENOVATE_SCHEMA = (
    Path(check_jsonschema_package.__file__).parent / "builtin_schemas" / "vendor" / "renovate.json"
)


def unknown_keys(value: object, node: dict[str, Any], schema: dict[str, Any], at: str) -> list[str]:
    """Keys of ``value`` that ``node`` (a schema, refs followed) does not name, recursively."""
    while "$ref" in node:
        ref = node["$ref"]
        node = schema if ref == "#" else schema["definitions"][ref.removeprefix("#/definitions/")]
    if "items" in node and isinstance(value, list):
        return [k for item in value for k in unknown_keys(item, node["items"], schema, at + "[]")]
    properties = dict(node.get("properties", {}))
    for part in node.get("allOf", []):
        properties |= part.get("properties", {})
    if not isinstance(value, dict) or not properties:
        return []
    problems = [f"{at}.{key}" for key in value if key not in properties and key != "$schema"]
    for key, item in value.items():
        if key in properties:
            problems += unknown_keys(item, properties[key], schema, f"{at}.{key}")
    return problems


def test_renovate_names_only_options_renovate_knows() -> None:
    """Renovate's schema lets unknown keys through (``"extend"`` for ``"extends"`` passes), and
    Renovate ignores them silently: every key must be an option the schema names."""
    schema = json.loads(RENOVATE_SCHEMA.read_text(encoding="utf-8"))
    config = json.loads(SOURCES[RENOVATE].read_text(encoding="utf-8"))
    assert unknown_keys(config, schema, schema, "renovate.json") == []
    typo = config | {"packageRules": [config["packageRules"][0] | {"groupNam": "x"}]}
    assert unknown_keys(typo, schema, schema, "renovate.json") == [
        "renovate.json.packageRules[].groupNam"
    ]
    assert unknown_keys({"extend": []}, schema, schema, "r") == ["r.extend"]


def test_dependabot_covers_uv_actions_and_docker() -> None:
    """One entry per ecosystem the service runs on, each on a schedule."""
    config = yaml.safe_load(SOURCES[DEPENDABOT].read_text(encoding="utf-8"))
    ecosystems = sorted(u["package-ecosystem"] for u in config["updates"])
    assert ecosystems == ["docker", "github-actions", "uv"]


def test_renovate_covers_python_ci_images_and_docker() -> None:
    """The managers for pyproject.toml/uv.lock, .gitlab-ci.yml's images and a Dockerfile."""
    config = json.loads(SOURCES[RENOVATE].read_text(encoding="utf-8"))
    assert sorted(config["enabledManagers"]) == ["dockerfile", "gitlabci", "pep621"]
    assert config["lockFileMaintenance"]["enabled"] is True


def test_template_check_workflow_is_valid_and_clean() -> None:
    """The weekly workflow: GitHub's schema, no zizmor finding of medium or above."""
    result = check_jsonschema(SOURCES[TEMPLATE_CHECK], "github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert zizmor_findings(SOURCES[TEMPLATE_CHECK]) == []


@pytest.mark.parametrize("project", combinations(), indirect=True, ids=lambda c: c.id)
def test_render_has_its_providers_upkeep_files_only(project: Project) -> None:
    """github: Dependabot and the weekly check; gitlab: Renovate; none: neither."""
    ci = project.combination.value("ci")
    present = {name for name in SOURCES if (project.path / name).is_file()}
    expected = {
        "github": {DEPENDABOT, TEMPLATE_CHECK},
        "gitlab": {RENOVATE},
        "none": set(),
    }[ci]
    assert present == expected


@pytest.mark.parametrize(
    "project",
    [c for c in combinations() if c.value("ci") in ("github", "gitlab")],
    indirect=True,
    ids=lambda c: c.id,
)
def test_scheduled_template_check_is_one_make_line(project: Project) -> None:
    """The scheduled job runs `make template-check`, a target the render's Makefile has; on
    GitLab only in scheduled pipelines, on GitHub on a schedule (or by hand)."""
    assert "template-check" in makefile_recipes(project.path / "Makefile")
    if project.combination.value("ci") == "gitlab":
        pipeline = read_pipeline(project.path / GITLAB_PIPELINE)
        assert "template-check" not in [job.id for job in pipeline.jobs]
        (job,) = pipeline.scheduled
    else:
        workflow = read_pipeline(project.path / TEMPLATE_CHECK)
        assert set(workflow.document["on"]) == {"schedule", "workflow_dispatch"}
        (job,) = workflow.jobs
    assert job.commands == ["make template-check"]
