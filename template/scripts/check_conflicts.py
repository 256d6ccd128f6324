"""Fail when a merge or `copier update` left conflict markers or `*.rej` files behind.

Run by `make check-conflicts`, the pre-commit hook and CI. Looks at every file git tracks or
would track (untracked but not ignored), so a forgotten conflict cannot be committed or shipped.
"""

import subprocess
import sys
from pathlib import Path

MARKERS = (b"<<<<<<< ", b">>>>>>> ")


def candidate_files() -> list[Path]:
    """Tracked files plus untracked ones that are not ignored."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    # An unmerged file is listed once per index stage (up to three times): name it once.
    return [Path(name) for name in dict.fromkeys(listing.decode().split("\0")) if name]


def problems_in(path: Path) -> list[str]:
    """What is wrong with one file: a `.rej` leftover, or lines that open or close a conflict."""
    if path.suffix == ".rej":
        return [f"{path}: rejected hunks from `copier update`; apply them by hand, then delete it"]
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return []  # deleted in the work tree, or a submodule
    if b"\0" in content:
        return []  # binary
    return [
        f"{path}:{number}: conflict marker {line[:7].decode()}"
        for number, line in enumerate(content.splitlines(), start=1)
        if line.startswith(MARKERS)
    ]


def main() -> int:
    """Print every leftover and exit 1 if there is any."""
    problems = [problem for path in candidate_files() for problem in problems_in(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Resolve the conflicts above before committing.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
