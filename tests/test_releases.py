"""Releases: CHANGELOG.md, copier.yml's ``_migrations`` and the git tags tell the same story.

The CHANGELOG and the migrations are files, so their part always runs. Tags travel only when a
clone fetches them: without any, the tag part skips and says ``git fetch --tags``; the template's
own CI checks out with its tags so that it runs there (the last test here makes sure).
"""

from __future__ import annotations

import pytest
import yaml

from tests.matrix import COPIER_YML, REPO_ROOT
from tests.releases import (
    CHANGELOG,
    changelog_versions,
    git_tags,
    migration_versions,
    release_problems,
)

OWN_CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def sections() -> list[str]:
    return changelog_versions(CHANGELOG.read_text(encoding="utf-8"))


def migrations() -> list[str]:
    return migration_versions(yaml.safe_load(COPIER_YML.read_text(encoding="utf-8")))


def test_changelog_and_migrations_agree() -> None:
    """Every migration ships with a release the CHANGELOG describes, none after the newest."""
    assert sections(), f"no `## vX.Y.Z` section in {CHANGELOG.name}"
    assert migrations(), "copier.yml has no _migrations: this test would check nothing"
    assert release_problems(sections(), migrations(), tags=[], head_tags=[]) == []


def test_tags_agree_with_changelog() -> None:
    """Each tag on HEAD's history has its section, each older section its tag."""
    every_tag = git_tags(REPO_ROOT)
    if not every_tag:
        pytest.skip(
            "this clone has no vX.Y.Z tag (a shallow CI checkout fetches none): "
            "run `git fetch --tags` and rerun to check the tags against CHANGELOG.md"
        )
    tags = git_tags(REPO_ROOT, "--merged", "HEAD") or []
    head_tags = git_tags(REPO_ROOT, "--points-at", "HEAD") or []
    assert release_problems(sections(), migrations(), tags, head_tags) == []


@pytest.mark.parametrize(
    ("changelog", "migrations_", "tags", "head_tags", "problem"),
    [
        pytest.param(
            ["v0.2.0", "v0.1.0"], ["v0.3.0"], [], [], "migration v0.3.0 has no", id="migration"
        ),
        pytest.param(["v0.2.0", "v0.1.0"], [], ["v0.1.0", "v0.1.1"], [], "tag v0.1.1", id="tag"),
        pytest.param(["v0.3.0", "v0.2.0", "v0.1.0"], [], ["v0.3.0"], [], "v0.2.0 has", id="hole"),
        pytest.param(["v0.3.0", "v0.2.0"], [], ["v0.1.0"], [], "only the next", id="two-pending"),
        pytest.param(["v0.3.0", "v0.2.0"], [], ["v0.2.0"], ["v0.2.0"], "HEAD is", id="tagged-head"),
        pytest.param(["v0.1.0", "v0.2.0"], [], [], [], "newest first", id="order"),
    ],
)
def test_release_check_names_each_disagreement(
    changelog: list[str],
    migrations_: list[str],
    tags: list[str],
    head_tags: list[str],
    problem: str,
) -> None:
    """The check above can fail: each kind of disagreement is reported in words."""
    problems = release_problems(changelog, migrations_, tags, head_tags)
    assert any(problem in p for p in problems), problems


def test_release_check_accepts_an_untagged_head_after_the_newest_tag() -> None:
    """Work towards the next release: its section exists, its tag does not yet."""
    sections_ = ["v0.3.0", "v0.2.0", "v0.1.0"]
    assert release_problems(sections_, ["v0.2.0"], ["v0.1.0", "v0.2.0"], []) == []


def test_own_ci_checks_out_the_tags() -> None:
    """The job that runs this file fetches the tags, so the tag check never skips in CI."""
    workflow = yaml.safe_load(OWN_CI.read_text(encoding="utf-8"))
    checkout = next(
        step
        for step in workflow["jobs"]["rest"]["steps"]
        if str(step.get("uses", "")).startswith("actions/checkout@")
    )
    assert checkout.get("with", {}).get("fetch-depth") == 0, checkout
