"""Fast lane: what each rendered combination contains, without building anything."""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import Project

# Folders tools create inside a render once it is used; none of them is rendered output.
TOOL_DIRS = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__"}
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
JINJA_MARKERS = ("{{", "{%")
# Import of an auth module, absolute or relative, or any use of a JWT library.
AUTH_TRACE = re.compile(r"\bjwt\b|^\s*(from|import)\s+[\w.]*\bauth\b", re.MULTILINE)
SECRET_WORDS = re.compile(r"secret|password|token|private", re.IGNORECASE)


def rendered_files(project: Project) -> Iterator[Path]:
    """Every file the template produced (tool folders left out)."""
    for path in sorted(project.path.rglob("*")):
        if path.is_file() and not TOOL_DIRS & set(path.relative_to(project.path).parts):
            yield path


def text_of(path: Path) -> str | None:
    """A file's text, or None for a binary file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def package_dir(project: Project) -> Path:
    """The rendered ``src/<package_name>/``."""
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    return project.path / "src" / answers["package_name"]


def test_ci_files_follow_the_ci_answer(project: Project) -> None:
    """github renders only the GitHub workflow, gitlab only .gitlab-ci.yml, none neither."""
    ci = project.combination.value("ci")
    assert (project.path / ".github" / "workflows" / "ci.yml").is_file() == (ci == "github")
    assert (project.path / ".github").exists() == (ci == "github")
    assert (project.path / ".gitlab-ci.yml").is_file() == (ci == "gitlab")


def test_auth_package_follows_the_use_auth_answer(project: Project) -> None:
    """With use_auth the auth package exists; without it nothing in src/ refers to auth or JWT."""
    use_auth = project.combination.value("use_auth")
    assert (package_dir(project) / "auth").is_dir() == use_auth
    if not use_auth:
        traces = [
            str(path.relative_to(project.path))
            for path in rendered_files(project)
            if "src" in path.relative_to(project.path).parts[:1]
            and AUTH_TRACE.search(text_of(path) or "")
        ]
        assert not traces, f"auth or JWT code rendered with use_auth=false: {traces}"


def dependencies(project: Project) -> str:
    """The rendered pyproject's runtime dependencies, one lowercase string to search."""
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
    return " ".join(pyproject["project"].get("dependencies", [])).lower()


def test_dependencies_follow_the_answers(project: Project) -> None:
    """The async driver only in async mode; the auth libraries only with use_auth."""
    deps = dependencies(project)
    assert ("asyncpg" in deps) == (project.combination.value("db_mode") == "async")
    use_auth = project.combination.value("use_auth")
    assert ("pyjwt" in deps) == use_auth
    assert ("pwdlib" in deps) == use_auth
    assert ("limits" in deps) == use_auth  # login rate limiting guards the auth routes only


def test_python_version_reaches_the_pyproject(project: Project) -> None:
    """The chosen Python is what the rendered project asks for."""
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
    assert project.combination.python_version in pyproject["project"]["requires-python"]


def test_no_jinja_is_left_over(project: Project) -> None:
    """No template suffix and no Jinja syntax outside GitHub's own ``${{ }}`` expressions."""
    leftovers = []
    for path in rendered_files(project):
        if path.suffix == ".jinja":
            leftovers.append(f"{path.name}: template suffix")
        text = GITHUB_EXPRESSION.sub("", text_of(path) or "")
        leftovers += [f"{path.relative_to(project.path)}: {m}" for m in JINJA_MARKERS if m in text]
    assert not leftovers


class _AnyTagLoader(yaml.SafeLoader):
    """A safe loader that accepts CI tags such as GitLab's ``!reference`` as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_every_yaml_and_toml_file_parses(project: Project) -> None:
    """Configuration a tool will read later is at least well formed now."""
    for path in rendered_files(project):
        if path.suffix in {".yml", ".yaml"}:
            yaml.load(path.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))


def test_answers_file_records_answers_and_no_secret(project: Project) -> None:
    """The answers file holds the answers given, and nothing secret (the key is in .env, and
    only where the service reads one: with authentication)."""
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    for name, value in project.combination.answers.items():
        assert answers[name] == value
    assert not [key for key in answers if SECRET_WORDS.search(key)]
    env_file = project.path / ".env"
    secret = re.search(r"^SECRET_KEY=(.+)$", env_file.read_text(encoding="utf-8"), re.MULTILINE)
    if not project.combination.value("use_auth"):
        assert secret is None, "SECRET_KEY in .env, yet nothing in a render without auth reads it"
        # Nor does a document a user reads to set the service up.
        for name in ("README.md", "compose.yaml", "deploy/kubernetes/configmap.yaml"):
            assert "SECRET_KEY" not in (project.path / name).read_text(encoding="utf-8"), name
        return
    assert secret is not None
    assert secret.group(1) not in (project.path / ".copier-answers.yml").read_text("utf-8")


def git(project: Project, *args: str) -> str:
    """Run git in the render and return what it printed."""
    return subprocess.run(
        ["git", *args], cwd=project.path, capture_output=True, text=True, check=True
    ).stdout


def test_render_is_a_git_repo_with_one_commit_and_an_ignored_env(project: Project) -> None:
    """The post-copy hook leaves a clean repo, ready for ``copier update``, .env untracked,
    uv.lock in the first commit."""
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    assert "uv.lock" in git(project, "ls-files").split(), "uv.lock is not in the first commit"
    status = (project.artifacts / "git-status-after-render.txt").read_text(encoding="utf-8")
    assert status == "", f"left uncommitted by the hook:\n{status}"
    assert ".env" not in git(project, "ls-files").split()
    assert (project.path / ".env").is_file()


def test_a_clone_gets_its_own_env_from_make(project: Project, tmp_path: Path) -> None:
    """.env is never committed: in a teammate's clone, the targets that read it write one, with
    a key of its own, and leave an existing one alone."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project.path), str(clone)], check=True)
    assert not (clone / ".env").exists()

    def make_env() -> str:
        done = subprocess.run(
            ["make", ".env"], cwd=clone, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "wrote .env" in make_env()
    written = (clone / ".env").read_text(encoding="utf-8")
    assert "wrote .env" not in make_env(), "an existing .env was written again"
    assert (clone / ".env").read_text(encoding="utf-8") == written
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert status == "", f"the written .env (or its .env.part) shows in git status:\n{status}"
    key = re.search(r"^SECRET_KEY=(.{40,})$", written, re.MULTILINE)
    if not project.combination.value("use_auth"):
        assert key is None
        return
    assert key is not None, written
    original = (project.path / ".env").read_text(encoding="utf-8")
    assert key.group(1) not in original, "the clone's key is the render's"


def test_every_tools_own_folder_is_gitignored(project: Project) -> None:
    """A new user's `git status` stays empty after `make setup`, `lint` and `test`. The slow
    lane sees it only for the folders its tools write inside the render: its mypy cache is
    elsewhere (`MYPY_CACHE_DIR`, see conftest.py)."""
    for folder in sorted(TOOL_DIRS - {".git"}):
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", f"{folder}/x"], cwd=project.path, check=False
        )
        assert ignored.returncode == 0, f"{folder}/ is not gitignored"


@pytest.mark.parametrize("name", ["Makefile", "README.md", "pyproject.toml", "alembic.ini"])
def test_entry_points_exist(project: Project, name: str) -> None:
    """The files the README and CI rely on are rendered in every combination."""
    assert (project.path / name).is_file()


# `make <target>` as the README writes it, in prose or in a shell block.
MAKE_MENTION = re.compile(r"\bmake ([a-z][a-z0-9-]*)")


def test_make_help_lists_every_target_the_readme_names(project: Project) -> None:
    """A new user's `make help` shows each target the README tells them to run."""
    helped = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = {line.split()[0] for line in helped.splitlines() if line.strip()}
    named = set(MAKE_MENTION.findall((project.path / "README.md").read_text(encoding="utf-8")))
    assert named, "the README names no make target"
    assert sorted(named - listed) == []


def test_readme_opens_with_the_description_once(project: Project) -> None:
    """The description says what the service does, right under the title, and only there."""
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    description = answers["description"]
    assert "template" not in description.lower()
    readme = (project.path / "README.md").read_text(encoding="utf-8")
    assert readme.split("\n\n")[1] == description
    assert readme.count(description) == 1
