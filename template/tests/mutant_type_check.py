"""mutmut's type check (`type_check_command`): `python -m tests.mutant_type_check mypy`.

mypy runs on mutmut's copy of the project with `make lint`'s own options, so the cache `make
lint` filled (the installed packages: about 15 of a cold run's 18 s) is valid for it; with
other options mypy would check everything again. mutmut marks each line it writes `# type:
ignore`, and strict mode calls most of those marks unused: they say nothing about a mutant, and
mutmut could not tie them to one, so they are left out.

mutmut reads the errors from standard output and ignores the exit code, so a mypy that could
not run must say so there, in a line that is not JSON: mutmut then stops and shows it, instead
of counting no mutant as caught. Standard library only, so that under a `python` that is not
the project's it fails for want of mypy, not of an import.

The word `mypy` on the command line tells mutmut to read mypy's JSON lines.
"""

import json
import subprocess
import sys
from pathlib import Path

# The mypy of the environment this runs in (`make mutate` puts the project's first on PATH).
MYPY = str(Path(sys.executable).parent / "mypy")
# mypy's exit codes: 0 no error, 1 errors found, 2 mypy itself failed.
ERRORS_FOUND = 1


def is_unused_ignore(line: str) -> bool:
    """True for mypy's JSON line about a `# type: ignore` that silences nothing."""
    try:
        return bool(json.loads(line).get("code") == "unused-ignore")
    except ValueError:  # not JSON: passed on, so that mutmut shows it
        return False


def main() -> int:
    """Print mypy's errors on the mutants, as JSON lines; a line that is not JSON if it failed."""
    if sys.argv[1:] != ["mypy"]:
        print(f"usage: python -m tests.mutant_type_check mypy (got {sys.argv[1:]})")
        return 2
    try:
        checked = subprocess.run(  # noqa: S603 (our own command line)
            [MYPY, "--output=json"], capture_output=True, text=True, check=False
        )
    except OSError as error:
        print(f"mypy could not run: {error}")
        return 2
    sys.stdout.writelines(
        f"{line}\n" for line in checked.stdout.splitlines() if not is_unused_ignore(line)
    )
    sys.stderr.write(checked.stderr)
    if checked.returncode not in (0, ERRORS_FOUND):  # a crash, or killed by a signal (< 0)
        print(f"mypy failed with exit code {checked.returncode}; its messages are on stderr")
    return checked.returncode


if __name__ == "__main__":
    sys.exit(main())
