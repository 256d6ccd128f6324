"""The rendered suites kill every mutant mutmut makes, except a short reviewed list.

`make mutate` runs in a copy of the default render and of a sync render without auth; a mutant
that survives and is not in EQUIVALENT fails the test with its diff, and an entry that no
longer survives fails it too, so the list stays true. The planted bugs in test_mutations.py
cover what mutmut does not mutate: route handlers (decorated), main.py and db.py (wiring).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MUTATION_PROPERTY
from tests.rendering import run
from tests.test_mutations import built_copies, built_copy

pytestmark = pytest.mark.slow

__all__ = ["built_copies"]  # a fixture this module uses

TARGETS = ("async-auth-github", "sync-noauth-none")

# Mutants no test can kill because no caller can tell them from the code: the name mutmut gives
# (without the package), and why. Review each new one; never add one to make the suite pass.
HEADER_CASE = "a header name in another case: header names are case-insensitive"
EQUIVALENT = {
    "auth.dependencies.x_unauthorized__mutmut_9": HEADER_CASE,
    "auth.dependencies.x_unauthorized__mutmut_10": HEADER_CASE,
    "auth.security.x_create_access_token__mutmut_17": (
        "no algorithm= for jwt.encode: PyJWT's default is HS256, the one we pass"
    ),
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_4": HEADER_CASE,
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_5": HEADER_CASE,
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_8": HEADER_CASE,
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_9": HEADER_CASE,
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_12": HEADER_CASE,
    "notifications.xǁSmtpEmailSenderǁsend__mutmut_13": HEADER_CASE,
    "migration_lock.x_wait_for_migration_lock__mutmut_7": (
        "SQL keywords in lower case: PostgreSQL reads them alike"
    ),
    "tracing.x_tracing_requested__mutmut_8": (
        'an unset OTEL_SDK_DISABLED read as "XXXX" instead of "": neither is "true"'
    ),
    "problems.x_unavailable_problem__mutmut_27": HEADER_CASE,
    "problems.x_unavailable_problem__mutmut_28": HEADER_CASE,
    "problems.x_is_problem__mutmut_17": (
        'b"XXXX" for a missing content type: neither b"" nor it is a problem media type'
    ),
}
# A mutant the tests fail on, or never finish with (mutmut's "timeout": a hang is noticed too,
# and mutmut's own score counts it as killed), or that mypy --strict rejects before any test runs
# (the render's `type_check_command`): `make lint` would stop it as surely as a failing test.
KILLED = ("killed", "timeout")
TYPE_CHECKED = "caught by type check"
DETECTED = (*KILLED, TYPE_CHECKED)
RESULT = re.compile(r"^\s*(?P<name>[\w.ǁ]+): (?P<status>.+)$")


def results(copy: Path, env: dict[str, str]) -> dict[str, str]:
    """Every mutant of the last run, without the package prefix, and its status."""
    listed = run(
        [".venv/bin/mutmut", "results", "--all", "true"],
        cwd=copy,
        env=env,
        log=copy.parent / "mutmut-results.log",
        timeout=120,
    )
    assert listed.returncode == 0, listed.explain()
    statuses = {}
    for line in listed.log.read_text(encoding="utf-8").splitlines():
        if match := RESULT.match(line):
            statuses[match["name"].split(".", 1)[1]] = match["status"].strip()
    return statuses


def by_module(statuses: dict[str, str]) -> dict[str, dict[str, int]]:
    """mutants, killed and survived per module (e.g. ``orders.service``)."""
    table: dict[str, Counter[str]] = {}
    for name, status in statuses.items():
        module = name.split(".x", 1)[0]
        counts = table.setdefault(module, Counter())
        counts["mutants"] += 1
        counts["killed" if status in DETECTED else "survived"] += 1
    return {module: dict(counts) for module, counts in sorted(table.items())}


@pytest.mark.parametrize("target", TARGETS)
def test_every_mutant_is_killed_or_a_reviewed_equivalent(
    target: str,
    built_copies: dict[str, tuple[Path, dict[str, str]]],
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    uv_cache: Path,
    postgres: Any,
    record_property: Any,
) -> None:
    """`make mutate` leaves no survivor outside EQUIVALENT, and every entry still survives."""
    copy, env = built_copy(target, built_copies, shared_dir, tmp_path_factory, uv_cache, postgres)
    mutate = run(
        ["make", "mutate"], cwd=copy, env=env, log=copy.parent / "mutate.log", timeout=1800
    )
    assert mutate.returncode == 0, mutate.explain()
    statuses = results(copy, env)
    assert statuses, f"make mutate made no mutant in {target}:\n{mutate.explain()}"
    # About 45% of the mutants fail mypy --strict; none would mean the type check did not run
    # (`type_check_command`, tests/mutant_type_check.py). Checked first: the mutants only mypy
    # catches would otherwise be reported as survivors, pointing the wrong way.
    assert TYPE_CHECKED in statuses.values(), f"mypy caught no mutant in {target}"
    survivors = sorted(name for name, status in statuses.items() if status not in DETECTED)
    killed = len(statuses) - len(survivors)
    record_property(
        MUTATION_PROPERTY,
        json.dumps(
            {
                "combination": target,
                "mutants": len(statuses),
                "killed": killed,
                "type_checked": len([s for s in statuses.values() if s == TYPE_CHECKED]),
                "equivalent": len([name for name in survivors if name in EQUIVALENT]),
                "timeouts": len([s for s in statuses.values() if s == "timeout"]),
                "seconds": mutate.seconds,
                "modules": by_module(statuses),
            }
        ),
    )
    package = next(copy.glob("src/*/__init__.py")).parent.name
    new = [name for name in survivors if name not in EQUIVALENT]
    diffs = "\n".join(
        run(
            [".venv/bin/mutmut", "show", f"{package}.{name}"],
            cwd=copy,
            env=env,
            log=copy.parent / "mutmut-show.log",
            timeout=60,
        ).log.read_text(encoding="utf-8")
        for name in new
    )
    assert not new, (
        f"{len(new)} mutant(s) survived {target}'s tests (status, then diff):\n"
        + "\n".join(f"{name}: {statuses[name]}" for name in new)
        + f"\n{diffs}"
    )
    # An entry for a mutant this render has must still survive: otherwise it was no equivalent.
    # A failing test or mypy proves it; a timeout does not (a reviewed survivor may time out on a
    # loaded machine).
    stale = [name for name in EQUIVALENT if statuses.get(name) in ("killed", TYPE_CHECKED)]
    assert not stale, f"caught now, so not equivalent: remove from EQUIVALENT: {stale}"
