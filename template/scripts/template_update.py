"""`make template-update`: merge a newer version of the template into this project, visibly.

Checks first that `copier update` can run and can be undone (a git repo, a clean tree, an answers
file whose template can be found), then runs it with your recorded answers (`--defaults`),
trusting the template's tasks and migrations (`--trust`) and leaving conflicts as inline markers.
Then it says what changed, which files conflict, and what to do next. Exit status: 0 updated,
1 updated with conflicts left to resolve, 2 nothing done.

Standard library only, so it runs before `make setup` and with any Python 3.
"""

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

ANSWERS = Path(".copier-answers.yml")
# COPIER="copier" (or any command) overrides this, e.g. to use a copier already installed.
DEFAULT_COPIER = ("uvx", "--from", "copier>=9.19.1,<10", "copier")
REMOTE_PREFIXES = ("gh:", "gl:", "git@", "git+")
ABORT = "git reset --hard && git clean -fd"


def git(*args: str) -> subprocess.CompletedProcess[str]:
    """Run git here and capture what it says."""
    # Fixed executable, arguments from this script only.
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607


def recorded() -> dict[str, str]:
    """The top-level `key: value` lines of the answers file (enough for `_commit`, `_src_path`)."""
    values = {}
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "#")):
            values[key.strip()] = value.strip().strip("'\"")
    return values


def problem_before_update() -> str | None:  # noqa: PLR0911 (one return per precondition)
    """Why `copier update` cannot run safely here, or None when it can."""
    if not ANSWERS.is_file():
        return f"no {ANSWERS} here: run this from the project's root directory."
    if git("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        return "this is not a git repository; copier update merges through git."
    dirty = git("status", "--porcelain", "--untracked-files=normal").stdout
    if dirty:
        return (
            "the working tree has uncommitted changes:\n"
            f"{dirty}"
            "Commit them, or stash them with `git stash --include-untracked`, then retry: the\n"
            "update's changes must be the only ones in `git diff`, so that you can review them\n"
            f"and undo them all with `{ABORT}`."
        )
    source = recorded().get("_src_path", "")
    if not source or not recorded().get("_commit"):
        return f"{ANSWERS} has no _src_path or _commit: it was not written by copier copy."
    local = "://" not in source and not source.startswith(REMOTE_PREFIXES)
    if local and not Path(source).expanduser().is_absolute():
        return (
            f"{ANSWERS} says the template is at {source!r}, a path relative to wherever\n"
            "`copier copy` ran. Replace _src_path with the template's git URL or absolute path,\n"
            "commit that, and retry."
        )
    if local and not Path(source).expanduser().is_dir():
        return f"the template is not at {source}: fix _src_path in {ANSWERS}, commit, retry."
    return None


def untracked_rejects() -> list[str]:
    """`*.rej` files (rejected hunks) anywhere git can see them."""
    listing = git("ls-files", "--others", "--exclude-standard").stdout.splitlines()
    return [name for name in listing if name.endswith(".rej")]


def report(before: str, after: str) -> int:
    """Say what the update did and what to do next; 1 when conflicts are left."""
    changed = git("status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    conflicted = git("diff", "--name-only", "--diff-filter=U").stdout.splitlines()
    rejects = untracked_rejects()
    print()
    if not changed:
        print(f"Template update: {before} -> {after}, and nothing in this project changed.")
        return 0
    print(f"Template update: {before} -> {after}, {len(changed)} paths changed (`git status`).")
    if conflicted or rejects:
        print()
        print("Conflicts: the template changed lines you changed too. Both versions are kept,")
        print("yours between `<<<<<<< before updating` and `=======`, the template's between")
        print("`=======` and `>>>>>>> after updating`:")
        for name in [*conflicted, *rejects]:
            print(f"  {name}")
    print()
    print("Next:")
    print("  1. git diff                review every change the update made")
    if conflicted or rejects:
        print("  2. resolve each conflict: keep what you need, delete the marker lines, git add it")
    else:
        print("  2. (no conflicts to resolve)")
    print("  3. make check-conflicts    no conflict marker or *.rej file may remain")
    print("  4. make test               the whole suite still passes")
    print(f'  5. git add -A && git commit -m "Update from the template to {after}"')
    print(f"To abort and get the project back as it was: {ABORT}")
    return 1 if conflicted or rejects else 0


def main() -> int:
    """Check, update, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vcs-ref", help="the template version (a git tag) to update to")
    parser.add_argument(
        "--data", action="append", default=[], metavar="QUESTION=ANSWER", help="change an answer"
    )
    options = parser.parse_args()

    problem = problem_before_update()
    if problem:
        print(f"make template-update: nothing done: {problem}", file=sys.stderr)
        return 2
    before = recorded()["_commit"]
    command = [*(shlex.split(os.environ.get("COPIER", "")) or DEFAULT_COPIER), "update"]
    command += ["--trust", "--defaults", "--conflict=inline"]
    if options.vcs_ref:
        command += ["--vcs-ref", options.vcs_ref]
    for answer in options.data:
        command += ["--data", answer]
    print(f"$ {shlex.join(command)}", flush=True)
    update = subprocess.run(command, check=False)  # noqa: S603 (the user's own copier)
    if update.returncode != 0:
        print(
            f"\ncopier update failed (exit {update.returncode}). If it left changes behind, "
            f"undo them with: {ABORT}",
            file=sys.stderr,
        )
        return 2
    return report(before, recorded()["_commit"])


if __name__ == "__main__":
    sys.exit(main())
