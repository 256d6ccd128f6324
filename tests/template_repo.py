"""Throwaway template repositories with their own release tags, for the ``copier update`` tests.

``copier update`` needs the template to be the root of a git repository and picks versions from
its PEP 440 tags. The tests never use this repository's tags or its (possibly dirty) work tree:
they copy the template's files (what git tracks or would track, uncommitted edits included) into
a fresh repository, commit, and tag releases there:

* ``v0.1.0``: the template before v0.2.0 moved ``users/promote.py`` into ``auth/`` (rebuilt from
  the base file the v0.2.0 migration ships), so updates can cross the migration;
* ``v0.2.0``: the template as it is in this work tree;
* ``v0.2.1``: the same plus ``TEMPLATE_FIX``, a fix in template-owned files.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import yaml

from tests.matrix import REPO_ROOT

# What Copier reads from a template repository; the meta suite and the docs stay out.
TEMPLATE_PARTS = ("copier.yml", "template", "includes", "hooks")
PACKAGE = "src/{{ package_name }}"
AUTH_PROMOTE = f"template/{PACKAGE}/{{% if use_auth %}}auth{{% endif %}}/promote.py"
USERS_PROMOTE = f"template/{PACKAGE}/users/{{% if use_auth %}}promote.py{{% endif %}}"
PROMOTE_BASE = "hooks/v0.2.0/users_promote_v0.1.0.py.txt"
PROMOTE_TEST = "template/tests/integration/{% if use_auth %}test_promote_admin.py{% endif %}.jinja"
# Commits need no signing key and no configured identity (the meta conftest sets GIT_* names).
GIT = ("git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")
OLD, CURRENT, FIXED = "v0.1.0", "v0.2.0", "v0.2.1"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return its output, or fail with what it said."""
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)} in {cwd}: {done.stderr}{done.stdout}"
    return done.stdout


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in ``path``; fail loudly when ``old`` is no longer there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected {old!r} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


# The fix v0.2.1 ships: an empty LOG_LEVEL is refused as such, and a template test proves it. It
# rewrites the line the conflict scenario edits, and leaves config.py's own validator alone.
CONFIG = f"template/{PACKAGE}/config.py.jinja"
FIX_OLD = '    log_level: str = "INFO"\n'
FIX_NEW = '    log_level: str = Field(default="INFO", min_length=1)\n'
FIX_TEST = "template/tests/unit/test_log_level.py.jinja"
FIX_TEST_TEXT = '''"""v0.2.1: an empty log level is refused when the settings are read."""

import pytest
from pydantic import ValidationError

from {{ package_name }}.config import Settings


def test_settings_refuse_an_empty_log_level() -> None:
    with pytest.raises(ValidationError, match="at least 1 character"):
        Settings(_env_file=None, log_level="")  # type: ignore[call-arg]
'''
README_OLD = "## Configuration\n"
README_NEW = "## Configuration\n\n`LOG_LEVEL` is one of DEBUG, INFO, WARNING, ERROR, CRITICAL.\n"


def apply_fix(tree: Path) -> None:
    """``TEMPLATE_FIX``: the v0.2.1 change to template-owned files."""
    replace_once(tree / CONFIG, FIX_OLD, FIX_NEW)
    (tree / FIX_TEST).write_text(FIX_TEST_TEXT, encoding="utf-8")
    replace_once(tree / "template/README.md.jinja", README_OLD, README_NEW)


def as_v0_1_0(tree: Path) -> None:
    """The layout before v0.2.0: ``promote.py`` in ``users/``, as v0.1.0 rendered it."""
    (tree / AUTH_PROMOTE).unlink()
    shutil.copyfile(tree / PROMOTE_BASE, tree / USERS_PROMOTE)
    for path in (tree / "template/Makefile.jinja", tree / PROMOTE_TEST):
        replace_once(path, "{{ package_name }}.auth.promote", "{{ package_name }}.users.promote")


def snapshot_files() -> list[str]:
    """The template's files as this work tree has them: tracked or addable, not deleted."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *TEMPLATE_PARTS],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in set(listing.split("\0")) if (REPO_ROOT / name).is_file())


@dataclass(frozen=True)
class TemplateRepo:
    """A template repository of its own, tagged ``OLD``, ``CURRENT`` and ``FIXED``."""

    path: Path

    def release(self, tag: str, change: Callable[[Path], None]) -> None:
        """Apply ``change`` to the files, commit and tag ``tag``."""
        change(self.path)
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", f"Release {tag}")
        git(self.path, "tag", tag)


def build_template_repo(root: Path) -> TemplateRepo:
    """A fresh repository at ``root`` holding the three releases."""
    root.mkdir(parents=True)
    for name in snapshot_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, root / name)
    git(root, "init", "--quiet", "-b", "main")
    repo = TemplateRepo(root)
    # The work tree is v0.2.0: build v0.1.0 from it, commit, then put v0.2.0 back on top.
    current = {name: (root / name).read_bytes() for name in (AUTH_PROMOTE, PROMOTE_TEST)}
    current["template/Makefile.jinja"] = (root / "template/Makefile.jinja").read_bytes()
    repo.release(OLD, as_v0_1_0)

    def restore(tree: Path) -> None:
        (tree / USERS_PROMOTE).unlink()
        for name, content in current.items():
            (tree / name).write_bytes(content)

    repo.release(CURRENT, restore)
    repo.release(FIXED, apply_fix)
    return repo


def copy_project(repo: TemplateRepo, dst: Path, answers: Mapping[str, Any], version: str) -> Path:
    """Render release ``version`` into ``dst`` as a user would; the post-copy task commits it."""
    copier.run_copy(
        str(repo.path),
        dst,
        data=dict(answers),
        defaults=True,
        vcs_ref=version,
        unsafe=True,
        quiet=True,
    )
    return dst


def update_project(
    dst: Path, answers: Mapping[str, Any] | None = None, version: str | None = None
) -> None:
    """``copier update`` the way ``make template-update`` runs it, through the API."""
    copier.run_update(
        dst,
        data=dict(answers or {}),
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
        conflict="inline",
        vcs_ref=version,
    )


def recorded_answers(project: Path) -> dict[str, Any]:
    """The project's ``.copier-answers.yml``."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def visible_files(project: Path) -> dict[str, bytes]:
    """Every file git tracks or would track, with its content: what a user reviews."""
    listing = git(project, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return {
        name: (project / name).read_bytes()
        for name in sorted(set(listing.split("\0")))
        if name and (project / name).is_file()
    }


def comparable_files(project: Path) -> dict[str, bytes]:
    """``visible_files``, with ``uv.lock`` reduced to what the template decides: the packages it
    locks, by name. Which release of each it pins depends on when it was resolved, and the
    registry moves during a session: an updated project keeps the pins of its first lock, a fresh
    render minutes later may get newer ones. ``uv sync --locked`` checks that a lock fits."""
    files = visible_files(project)
    if "uv.lock" in files:
        lock = tomllib.loads(files["uv.lock"].decode("utf-8"))
        files["uv.lock"] = "\n".join(sorted(p["name"] for p in lock.get("package", []))).encode()
    return files
