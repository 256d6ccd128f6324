"""The template's releases as three sources tell them: CHANGELOG.md, ``_migrations``, git tags.

A release is an annotated tag ``vX.Y.Z`` on ``main`` with a ``## vX.Y.Z`` section in
CHANGELOG.md; a migration ships with the release its ``version:`` names. These helpers read each
source; ``tests/test_releases.py`` checks that they agree.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from packaging.version import Version

from tests.matrix import REPO_ROOT

CHANGELOG = REPO_ROOT / "CHANGELOG.md"
# A release heading: `## v0.3.0`, nothing else on the line (the text under it says the rest).
SECTION = re.compile(r"^## (v\d+\.\d+\.\d+)$", re.MULTILINE)
TAG = re.compile(r"^v\d+\.\d+\.\d+$")


def changelog_versions(text: str) -> list[str]:
    """The release sections of a CHANGELOG, in the order they appear (newest first)."""
    return SECTION.findall(text)


def migration_versions(config: dict[str, object]) -> list[str]:
    """The ``version:`` of every ``_migrations`` entry of a parsed copier.yml."""
    entries = config.get("_migrations") or []
    assert isinstance(entries, list), "_migrations must be a list"
    return [str(entry["version"]) for entry in entries if isinstance(entry, dict)]


def git_tags(repo: Path, *options: str) -> list[str] | None:
    """The ``vX.Y.Z`` tags git lists with ``options``; None when ``repo`` is not a git clone."""
    listing = subprocess.run(
        ["git", "tag", "--list", "v*", *options],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        return None
    return sorted((t for t in listing.stdout.split() if TAG.match(t)), key=Version)


def release_problems(
    sections: list[str], migrations: list[str], tags: list[str], head_tags: list[str]
) -> list[str]:
    """Where the CHANGELOG, the migrations and the tags reachable from HEAD disagree.

    ``sections`` is the CHANGELOG order, newest first; ``tags`` the tags on HEAD's history,
    ``head_tags`` those on HEAD itself. The newest section may be a release still to tag (an
    untagged HEAD after the newest tag); a tagged HEAD is that release.
    """
    problems = []
    ordered = sorted(sections, key=Version, reverse=True)
    if sections != ordered or len(set(sections)) != len(sections):
        problems.append(f"CHANGELOG sections are not newest first, each once: {sections}")
    newest = ordered[0] if ordered else None
    for version in migrations:
        if version not in sections:
            problems.append(f"migration {version} has no `## {version}` section in CHANGELOG.md")
        elif Version(version) > Version(newest or "v0"):
            problems.append(f"migration {version} is newer than the newest release {newest}")
    for tag in tags:
        if tag not in sections:
            problems.append(f"tag {tag} has no `## {tag}` section in CHANGELOG.md")
    if tags:
        newest_tag = Version(tags[-1])
        untagged = [v for v in sections if v not in tags and Version(v) < newest_tag]
        problems += [
            f"{v} has a CHANGELOG section but no tag, yet {tags[-1]} does" for v in untagged
        ]
        pending = [v for v in sections if Version(v) > newest_tag]
        if len(pending) > 1:
            problems.append(f"only the next release may be untagged, not all of {pending}")
        if head_tags and pending:
            problems.append(f"HEAD is tagged {head_tags[-1]}, yet CHANGELOG.md has {pending}")
    return problems
