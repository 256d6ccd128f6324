"""`make template-check`: say whether the template has a newer release; exit 2 when it has.

CI runs it on a schedule, so a template release shows up as a failed scheduled job whose log
names it. It asks `copier check-update`, which compares `_commit` in .copier-answers.yml with
the template's newest PEP 440 tag. Standard library only: it runs before `make setup`.
"""

import json
import os
import shlex
import subprocess
import sys

from template_update import ABORT, DEFAULT_COPIER


def main() -> int:
    """Ask copier, say what it found; 0 up to date, 2 a newer release, 1 no answer."""
    copier = shlex.split(os.environ.get("COPIER", "")) or list(DEFAULT_COPIER)
    command = [*copier, "check-update", "--output-format", "json"]
    # The user's own copier, fixed arguments.
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        print(
            f"make template-check: `{shlex.join(command)}` failed (exit {done.returncode}). "
            "The template must be reachable at .copier-answers.yml's _src_path (a git URL, "
            f"for CI).\n{done.stderr.strip()}",
            file=sys.stderr,
        )
        return 1
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # Copier reports PEP 440 versions ("0.3.0"); the template's tags, which CHANGELOG sections
    # and `make template-update VERSION=` use, are spelled "v0.3.0".
    current, latest = (f"v{found[key]}" for key in ("current_version", "latest_version"))
    if not found["update_available"]:
        print(f"Up to date: the template's newest release is {latest}, and this service has it.")
        return 0
    print(
        f"The template has a newer release, {latest}; this service is on {current}.\n"
        "Read its CHANGELOG (what changes, whether you must act), then, on a branch:\n"
        "  make template-update\n"
        f"and review the result (undo it all with `{ABORT}`)."
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
