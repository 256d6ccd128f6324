"""The post-copy hook: idempotent, identity-free, and it never commits into an existing repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.matrix import REPO_ROOT

HOOK = REPO_ROOT / "hooks" / "post_copy.py"
AUTHOR = ["--author-name=Ada Lovelace", "--author-email=ada@example.com"]


@pytest.fixture
def no_identity_env(tmp_path: Path) -> dict[str, str]:
    """An environment where git knows no user: empty HOME, no system config, no GIT_* names."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1"}
    return env


PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
# A project uv can lock without the package index: no dependencies at all.
PYPROJECT = f"""[project]
name = "billing"
version = "0.1.0"
requires-python = ">={PYTHON}"
dependencies = []
"""


def run_hook(
    cwd: Path, env: dict[str, str], *, operation: str = "copy", secret_key: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the hook the way Copier's task does: its Python, the destination as cwd."""
    return subprocess.run(
        [
            sys.executable,
            str(HOOK),
            *AUTHOR,
            f"--python-version={PYTHON}",
            f"--operation={operation}",
            "--secret-key" if secret_key else "--no-secret-key",
        ],
        cwd=cwd,
        env=env | {"UV_PYTHON": sys.executable},
        check=True,
        capture_output=True,
        text=True,
    )


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    """Run git and return its output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def test_hook_twice_without_identity_makes_one_commit_and_keeps_env(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """First run: repo, commit by the author answers, secret .env; second run changes nothing."""
    project = tmp_path / "service"
    project.mkdir()
    (project / "README.md").write_text("# Service\n", encoding="utf-8")

    run_hook(project, no_identity_env)
    env_text = (project / ".env").read_text(encoding="utf-8")
    run_hook(project, no_identity_env)

    assert git(project, no_identity_env, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(project, no_identity_env, "log", "-1", "--format=%an <%ae>").strip() == (
        "Ada Lovelace <ada@example.com>"
    )
    assert git(project, no_identity_env, "branch", "--show-current").strip() == "main"
    assert (project / ".env").read_text(encoding="utf-8") == env_text
    assert env_text.startswith("#")
    assert len(env_text.split("SECRET_KEY=", 1)[1].strip()) >= 48
    assert ".env" not in git(project, no_identity_env, "ls-files").split()
    assert git(project, no_identity_env, "status", "--porcelain") == ""


def test_hook_keeps_an_existing_env_file(tmp_path: Path, no_identity_env: dict[str, str]) -> None:
    """A user's own .env (e.g. during ``copier update``) is never rewritten."""
    (tmp_path / ".env").write_text("SECRET_KEY=mine\n", encoding="utf-8")
    run_hook(tmp_path, no_identity_env)
    assert (tmp_path / ".env").read_text(encoding="utf-8") == "SECRET_KEY=mine\n"


def test_hook_inside_an_existing_repo_makes_no_commit(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """Rendered into a repo that exists (a monorepo, an update): no init, no commit."""
    env = no_identity_env | {
        "GIT_AUTHOR_NAME": "Owner",
        "GIT_AUTHOR_EMAIL": "owner@example.com",
        "GIT_COMMITTER_NAME": "Owner",
        "GIT_COMMITTER_EMAIL": "owner@example.com",
    }
    git(tmp_path, env, "init", "--quiet", "-b", "main")
    git(tmp_path, env, "commit", "--quiet", "--allow-empty", "-m", "existing")
    project = tmp_path / "services" / "billing"
    project.mkdir(parents=True)

    run_hook(project, env)

    assert git(tmp_path, env, "rev-list", "--count", "HEAD").strip() == "1"
    assert not (project / ".git").exists()
    assert (project / ".env").is_file()
    assert git(tmp_path, env, "check-ignore", "services/billing/.env").strip()


def test_hook_respects_an_env_already_ignored(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """When the template's .gitignore already ignores .env, the hook adds no duplicate line."""
    (tmp_path / ".gitignore").write_text(".venv/\n.env\n", encoding="utf-8")
    run_hook(tmp_path, no_identity_env)
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == ".venv/\n.env\n"


def test_hook_locks_before_the_first_commit(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """``copier copy``: uv.lock is written and committed, the tree is clean from the start."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    run_hook(tmp_path, no_identity_env)
    assert "uv.lock" in git(tmp_path, no_identity_env, "ls-files").split()
    assert git(tmp_path, no_identity_env, "status", "--porcelain") == ""


def test_hook_on_update_writes_no_lock(tmp_path: Path, no_identity_env: dict[str, str]) -> None:
    """``copier update`` replays versions through the hook in scratch dirs: no lock there."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    run_hook(tmp_path, no_identity_env, operation="update")
    assert not (tmp_path / "uv.lock").exists()
    # Nor in a service that has never committed one.
    run_hook(tmp_path, no_identity_env, operation="update")
    assert not (tmp_path / "uv.lock").exists()


def test_hook_on_update_brings_the_services_lock_in_line(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """An update that changed pyproject.toml leaves a lock that matches it, and is idempotent."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    run_hook(tmp_path, no_identity_env)
    assert 'version = "0.1.0"' in (tmp_path / "uv.lock").read_text(encoding="utf-8")
    # What an update does to pyproject.toml, in a way uv can lock without the package index.
    (tmp_path / "pyproject.toml").write_text(
        PYPROJECT.replace('version = "0.1.0"', 'version = "0.2.0"'), encoding="utf-8"
    )

    run_hook(tmp_path, no_identity_env, operation="update")

    relocked = (tmp_path / "uv.lock").read_text(encoding="utf-8")
    assert 'version = "0.2.0"' in relocked, relocked
    run_hook(tmp_path, no_identity_env, operation="update")
    assert (tmp_path / "uv.lock").read_text(encoding="utf-8") == relocked


@pytest.mark.parametrize(
    ("pyproject", "path", "says"),
    [
        pytest.param("[project\n", None, "`uv lock` failed", id="lock-fails"),
        pytest.param(PYPROJECT, "/usr/bin:/bin", "uv is not installed", id="no-uv"),
    ],
)
def test_hook_without_a_lock_says_what_to_do_and_still_commits(
    tmp_path: Path,
    no_identity_env: dict[str, str],
    pyproject: str,
    path: str | None,
    says: str,
) -> None:
    """No uv, or a lock that fails: the render goes on, and the message names the fix."""
    if path is not None and shutil.which("git", path=path) is None:
        pytest.skip(f"git is not in {path}")
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    env = no_identity_env | ({"PATH": path} if path else {})
    done = run_hook(tmp_path, env)
    assert says in done.stderr
    assert "run `make lock` in the service and commit uv.lock" in done.stderr
    assert not (tmp_path / "uv.lock").exists()
    assert git(tmp_path, env, "rev-list", "--count", "HEAD").strip() == "1"


def test_hook_writes_no_secret_where_nothing_reads_one(
    tmp_path: Path, no_identity_env: dict[str, str]
) -> None:
    """use_auth=false: a .env that says what it is for, without SECRET_KEY."""
    run_hook(tmp_path, no_identity_env, secret_key=False)
    env_text = (tmp_path / ".env").read_text(encoding="utf-8")
    assert env_text.startswith("#")
    assert "SECRET_KEY" not in env_text
