"""Post-copy task: make a fresh render a git repo whose first commit holds ``uv.lock``.

Copier runs it in the destination after every copy and update, with Copier's own Python, so it
uses the standard library only. Every step checks before it acts, which makes it idempotent:

* outside a git work tree: ``git init -b main``, ``git add -A`` and a first commit, so that
  ``copier update`` (which needs a clean, tracked project) works later. Inside one (a second run,
  an update, or a render into a monorepo) git is left alone: no init, no commit.
* on ``copier copy`` into a fresh repo, with no ``uv.lock`` yet: ``uv lock`` (bounded in time)
  before the first commit, so the tree is clean from the start and CI installs exactly the lock.
  Without uv, or when the package index does not answer in time, it says to run ``make lock``
  and commit ``uv.lock``; the render itself never fails for it.
* on ``copier update``, in the service (a git work tree) that has a ``uv.lock``: ``uv lock``, which
  keeps the pins that still fit and adds what a changed ``pyproject.toml`` needs (a new answer,
  a new dependency), so ``uv sync --locked`` still passes. Copier's scratch replays of the old
  and new versions run this task too, outside any repository: they get no lock.
* no ``.env``: write one (with a generated ``SECRET_KEY`` when the service reads one). An
  existing ``.env`` is never touched.
* ``.env`` must never be committed: if git does not already ignore it, ``.gitignore`` learns to.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ENV_FILE = Path(".env")
GITIGNORE = Path(".gitignore")
LOCK_FILE = Path("uv.lock")
# A warm uv cache locks in about two seconds; a cold one downloads metadata for a few more. Past
# this, the index is unreachable or slow, and the render should not hang on it.
LOCK_TIMEOUT_SECONDS = 60
LOCK_ADVICE = "run `make lock` in the service and commit uv.lock"


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in the current directory and capture what it says."""
    return subprocess.run(["git", *args], capture_output=True, text=True, check=check)


def inside_work_tree() -> bool:
    """Tell whether the current directory already belongs to a git work tree."""
    result = git("rev-parse", "--is-inside-work-tree", check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def identity_options(author_name: str, author_email: str) -> list[str]:
    """``-c user.*`` options when git has no identity of its own (CI machines, containers).

    A configured identity, or GIT_AUTHOR_*/GIT_COMMITTER_* variables, still win: git reads the
    environment after ``-c``, and a configured email means the user chose who commits.
    """
    if git("config", "user.email", check=False).stdout.strip():
        return []
    return ["-c", f"user.name={author_name}", "-c", f"user.email={author_email}"]


def lock_python(python_version: str) -> str:
    """The interpreter ``uv lock`` should use: what the rendered Makefile would pick.

    A user's ``UV_PYTHON`` wins; pyenv keeps inactive versions off PATH, so ask it next;
    otherwise the version, which uv finds on PATH (or downloads, where allowed).
    """
    if chosen := os.environ.get("UV_PYTHON"):
        return chosen
    if shutil.which("pyenv"):
        prefix = subprocess.run(
            ["pyenv", "prefix", python_version], capture_output=True, text=True, check=False
        )
        if prefix.returncode == 0 and prefix.stdout.strip():
            return str(Path(prefix.stdout.strip()) / "bin" / f"python{python_version}")
    return python_version


def run_uv_lock(python_version: str, not_done: str) -> None:
    """``uv lock``, bounded in time; on any failure say ``not_done`` and the fix, never fail."""
    uv = shutil.which("uv")
    if uv is None:
        print(f"uv is not installed, so {not_done}: {LOCK_ADVICE}.", file=sys.stderr)
        return
    env = os.environ | {"UV_PYTHON": lock_python(python_version)}
    try:
        done = subprocess.run(
            [uv, "lock", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(
            f"`uv lock` took longer than {LOCK_TIMEOUT_SECONDS} s (is the package index "
            f"reachable?), so {not_done}: {LOCK_ADVICE}.",
            file=sys.stderr,
        )
        return
    if done.returncode != 0:
        print(
            f"`uv lock` failed, so {not_done}: {LOCK_ADVICE}.\n{done.stderr.strip()}",
            file=sys.stderr,
        )


def lock_dependencies(python_version: str) -> None:
    """``copier copy``: write ``uv.lock`` for the first commit, unless one exists."""
    if not LOCK_FILE.exists():
        run_uv_lock(python_version, "uv.lock is not written")


def relock_dependencies(python_version: str) -> None:
    """``copier update``: bring the service's ``uv.lock`` in line with the new pyproject.toml.

    An update that changes an answer (auth on, async) or a template dependency changes
    pyproject.toml; a lock left behind would fail ``uv sync --locked`` in CI. ``uv lock`` keeps
    every pin that still fits and only adds or moves what the new requirements need; it changes
    nothing when the lock already matches. A project without a lock (and Copier's scratch
    replays of the old and new versions, which have none) gets none.
    """
    if LOCK_FILE.exists():
        run_uv_lock(python_version, "uv.lock may no longer match pyproject.toml")


def write_env_file(*, secret_key: bool) -> None:
    """Write ``.env`` (with a fresh secret key when the service signs tokens), unless one exists:
    it may hold the user's own settings."""
    if ENV_FILE.exists():
        return
    text = (
        "# Local settings (DATABASE_URL, LOG_LEVEL, ...), never committed. Written by the\n"
        "# template's post-copy hook; config.py, under src/, lists what the service reads.\n"
    )
    if secret_key:
        text += f"SECRET_KEY={secrets.token_urlsafe(48)}\n"
    ENV_FILE.write_text(text, encoding="utf-8")


def ensure_env_ignored() -> None:
    """Append ``.env`` to ``.gitignore`` unless git already ignores it, whatever the reason."""
    if git("check-ignore", "--quiet", str(ENV_FILE), check=False).returncode == 0:
        return
    existing = GITIGNORE.read_text(encoding="utf-8") if GITIGNORE.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    GITIGNORE.write_text(f"{existing}{separator}.env\n", encoding="utf-8")


def main() -> None:
    """Bring the destination to: a git repo, a secret ``.env``, and ``.env`` never tracked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--author-name", required=True)
    parser.add_argument("--author-email", required=True)
    parser.add_argument("--python-version", required=True)
    parser.add_argument("--operation", choices=("copy", "update"), required=True)
    # Only a service with authentication reads SECRET_KEY; elsewhere it would only mislead.
    parser.add_argument("--secret-key", action=argparse.BooleanOptionalAction, required=True)
    options = parser.parse_args()

    fresh = not inside_work_tree()
    if fresh:
        git("init", "--quiet", "-b", "main")
        if options.operation == "copy":
            lock_dependencies(options.python_version)
    elif options.operation == "update":
        relock_dependencies(options.python_version)
    write_env_file(secret_key=options.secret_key)
    # Checked after init: check-ignore needs a repository to read .gitignore through.
    ensure_env_ignored()
    if fresh:
        git("add", "--all")
        # --no-verify: a hook from the user's global git template must not block generated files.
        git(
            *identity_options(options.author_name, options.author_email),
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "Initial commit from the copier template",
        )


if __name__ == "__main__":
    main()
