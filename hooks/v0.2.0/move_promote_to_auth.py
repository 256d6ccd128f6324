"""Migration to v0.2.0: ``users/promote.py`` moved to ``auth/promote.py``; carry the user's edits.

v0.2.0 put the admin-promotion command inside the ``auth`` package, so that ``use_auth`` owns one
folder of ``src/`` and ``users/`` no longer changes shape with the answer. ``copier update`` sees
an old file gone and a new one born: it writes the new ``auth/promote.py`` and deletes
``users/promote.py`` from the work tree, edits included (they survive only in ``HEAD``). Copier
runs this script after the update, only when the update crosses v0.2.0 and ``use_auth`` is on.

It three-way merges the user's committed ``users/promote.py`` (ours) into the new
``auth/promote.py`` (theirs), from the file v0.1.0 rendered (the base, shipped next to this
script, byte for byte: the file had no Jinja). Where git cannot merge, the file gets the same
inline markers ``copier update`` writes and is marked conflicted (``UU``) in the index.

Idempotent: it acts only while ``auth/promote.py`` is exactly what the template rendered, so a
second run, or a run on a project without edits or without ``users/promote.py``, changes nothing.
Standard library only: Copier runs it with its own Python.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "users_promote_v0.1.0.py.txt"
# The new file in the template this script ships with: it has no Jinja, so rendered == source.
THEIRS = (
    HERE.parent.parent
    / "template/src/{{ package_name }}/{% if use_auth %}auth{% endif %}/promote.py"
)
LABELS = ("before updating", "last update", "after updating")


def git(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run git in the project and capture what it says."""
    return subprocess.run(["git", *args], input=stdin, capture_output=True, text=True, check=False)


def committed(path: str) -> str | None:
    """The file at ``path`` in ``HEAD``, or None when ``HEAD`` has no such file."""
    shown = git("show", f"HEAD:{path}")
    return shown.stdout if shown.returncode == 0 else None


def mark_conflicted(path: str, base: str, ours: str, theirs: str) -> None:
    """Record the three sides as index stages 1-3, as a merge would: ``git status`` says UU."""
    lines = [f"0 {'0' * 40}\t{path}"]  # drop the plain entry, if any
    for stage, text in ((1, base), (2, ours), (3, theirs)):
        blob = git("hash-object", "-w", "--stdin", stdin=text).stdout.strip()
        lines.append(f"100644 {blob} {stage}\t{path}")
    git("update-index", "--index-info", stdin="\n".join(lines) + "\n")


def merge(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """``git merge-file`` of the three texts: the result, and whether conflicts remain."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch, name)
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        merged = subprocess.run(
            ["git", "merge-file", "--stdout", *(f"-L{label}" for label in LABELS), *paths],
            capture_output=True,
            text=True,
            check=False,
        )
    if merged.returncode < 0 or merged.returncode > 127:
        sys.exit(f"git merge-file failed: {merged.stderr.strip()}")
    return merged.stdout, merged.returncode > 0


def migrate(package: str) -> str:
    """Carry the edits over; return what happened, in one sentence for the user."""
    old = f"src/{package}/users/promote.py"
    new = f"src/{package}/auth/promote.py"
    ours = committed(old)
    if ours is None:
        return f"{old} was not in HEAD: nothing to carry over."
    base = BASE.read_text(encoding="utf-8")
    if ours == base:
        return f"{old} had no edits of yours: {new} is the template's."
    target = Path(new)
    theirs = THEIRS.read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != theirs:
        return f"{new} is no longer the template's version: already migrated, left alone."
    merged, conflicted = merge(ours, base, theirs)
    target.write_text(merged, encoding="utf-8")
    # Staged, the old file's deletion shows in `git status` next to the conflict (unstaged,
    # git pairs it with the unmerged new file and lists neither as deleted).
    git("rm", "--cached", "--quiet", "--ignore-unmatch", "--", old)
    if conflicted:
        mark_conflicted(new, base, ours, theirs)
        return f"your edits to {old} conflict with the template's {new}: resolve the markers."
    return f"your edits to {old} are merged into {new}."


def main() -> None:
    """Parse the package name, migrate, and say what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True, help="the package_name answer")
    options = parser.parse_args()
    print(f"[v0.2.0 migration] {migrate(options.package)}", file=sys.stderr)


if __name__ == "__main__":
    main()
