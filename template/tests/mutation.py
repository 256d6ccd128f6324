"""Mutation testing (`make mutate`): mutmut against one PostgreSQL, a database per process.

mutmut forks a process per mutant, several at once, and each runs a pytest session. Creating
and migrating a database per session would cost more than most mutants' tests, so this module
prepares one database per "slot" before mutmut starts; a session under mutmut takes the first
free slot (an exclusive lock, released when its process ends) and empties that database instead
of rebuilding it.

`python -m tests.mutation [mutmut run options]` is `make mutate`; `python -m tests.mutation
report` is `make mutate-report`: every mutant the tests let live, with its diff. mutmut's type
check is tests/mutant_type_check.py.
"""

import fcntl
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from psycopg import sql

from tests import postgres

# Concurrent mutants, one more than the cores: each waits on PostgreSQL part of its time. Plus
# mutmut's own process, which runs the suite first to time the tests.
CHILDREN = (os.cpu_count() or 2) + 1
SLOTS = CHILDREN + 1
LOCKS = Path(tempfile.gettempdir())
# This environment's tools: mutmut by its full path, and first on PATH for the `python` that
# mutmut's type check runs by name.
TOOLS = Path(sys.executable).parent
MUTMUT = str(TOOLS / "mutmut")
_held: dict[int, tuple[int, IO[str]]] = {}


def running(env: Mapping[str, str]) -> bool:
    """True inside a mutmut run: it sets MUTANT_UNDER_TEST in every process it runs tests in."""
    return "MUTANT_UNDER_TEST" in env


def named_tests(args: Iterable[str], root: Path) -> dict[Path, frozenset[str]]:
    """The module-level names (test functions or classes) that `path::name` arguments name.

    Keyed by the module's absolute path, as pytest's collectors have it. A module also given
    whole, by its own path or a folder's, is left out: every test in it is asked for.
    """
    names: dict[Path, set[str]] = {}
    whole: list[Path] = []
    for arg in args:
        path, separator, rest = arg.partition("::")
        target = Path(os.path.abspath(root / path))  # normalised, symlinks kept, as pytest does
        if separator:
            # `test_name[parameters]` and `TestClass::test_name` are both built from one name.
            names.setdefault(target, set()).add(rest.split("::")[0].split("[")[0])
        else:
            whole.append(target)
    return {
        module: frozenset(found)
        for module, found in names.items()
        if not any(module == given or given in module.parents for given in whole)
    }


def slot_database_name(base: str) -> str:
    """This process's database: `<base>_mutant_<slot>`, locking the slot until the process ends."""
    pid = os.getpid()
    if pid not in _held:  # a forked child inherits its parent's entry, not its lock's ownership
        _held[pid] = _take_a_slot(base)
    return f"{base}_mutant_{_held[pid][0]}"


def _take_a_slot(base: str) -> tuple[int, IO[str]]:
    for slot in range(SLOTS):
        handle = (LOCKS / f"{base}_mutant_{slot}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError(f"all {SLOTS} mutation databases are in use: run `make mutate`")


def prepare(server_url: str, base: str) -> None:
    """Create and migrate every slot's database (before mutmut starts)."""
    for slot in range(SLOTS):
        postgres.migrate(postgres.recreate_database(server_url, f"{base}_mutant_{slot}"))


def drop(server_url: str, base: str) -> None:
    """Drop every slot's database (and the migrations tests' scratch ones)."""
    with postgres._maintenance_connection(server_url) as connection:
        names = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{base}\\_mutant\\_%",)
        ).fetchall()
        for (name,) in names:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# What `mutmut results` calls a mutant that something noticed: a failing test, a test run that
# never ended, or mypy --strict rejecting it (`type_check_command` in pyproject.toml).
CAUGHT = ("killed", "timeout", "caught by type check")


def survivors() -> list[str]:
    """The names of the mutants the last run left alive (or could not judge)."""
    listed = subprocess.run(  # noqa: S603 (our own command line)
        [MUTMUT, "results"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    statuses = dict(line.strip().split(": ", 1) for line in listed if ": " in line)
    return [name for name, status in statuses.items() if status not in CAUGHT]


def report() -> int:
    """Print each surviving mutant's diff; exit 1 if there is any."""
    names = survivors()
    for name in names:
        subprocess.run([MUTMUT, "show", name], check=True)  # noqa: S603 (our own command line)
    print(f"{len(names)} mutant(s) survived" if names else "every mutant was killed")
    return 1 if names else 0


def main() -> int:
    """Run `mutmut run` with the options given, against one server; return its exit code."""
    if sys.argv[1:] == ["report"]:
        return report()
    with postgres.postgres_server(os.environ) as server_url:
        url = os.environ.get("TEST_DATABASE_URL") or postgres.database_url(
            server_url, postgres.DEFAULT_DATABASE_NAME
        )
        base = postgres.database_name_for({"TEST_DATABASE_URL": url}, "master")
        prepare(server_url, base)
        try:
            command = [MUTMUT, "run", "--max-children", str(CHILDREN), *sys.argv[1:]]
            # The options are the developer's own, from the command line.
            path = os.pathsep.join([str(TOOLS), os.environ.get("PATH", os.defpath)])
            env = {"TEST_DATABASE_URL": url, "PATH": path}
            # mutmut runs mypy inside mutants/: send it to `make lint`'s cache, not a new one.
            cache = Path(os.environ.get("MYPY_CACHE_DIR") or ".mypy_cache").resolve()
            env["MYPY_CACHE_DIR"] = str(cache)
            return subprocess.call(command, env=os.environ | env)  # noqa: S603
        finally:
            drop(server_url, base)


if __name__ == "__main__":
    sys.exit(main())
