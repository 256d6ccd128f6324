"""The rendered suites catch real bugs: break a service on purpose and its own tests go red.

Each mutation is a one-line bug a developer could plausibly commit. It is applied to a copy of a
render (the default one, and the sync render without auth, whose test code differs), and that
copy's own suite must fail with a failed test: not pass, not crash at collection.

These cover what mutmut (tests/test_mutation_score.py) does not mutate: route handlers (mutmut
leaves decorated functions alone), main.py and db.py (left out as wiring), module-level
constants and annotations, and bugs no mutmut operator makes (an added argument, a removed line
or condition). A dropped security header and a problem without its request id, bugs of mutated
functions, went to mutmut.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import database_url, rendered
from tests.matrix import combinations, interpreter_for
from tests.rendering import project_env, run

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Mutation:
    """Replace ``old`` by ``new`` once in ``src/<package>/<path>``."""

    id: str
    path: str
    old: str
    new: str
    auth_only: bool = False


MUTATIONS = (
    Mutation(
        "duplicate-email-answers-400",
        "users/router.py",
        'HTTPException(status.HTTP_409_CONFLICT, "Email',
        'HTTPException(status.HTTP_400_BAD_REQUEST, "Email',
    ),
    Mutation(
        "email-compared-case-sensitively",
        "users/schemas.py",
        "AfterValidator(str.lower)",
        "AfterValidator(str.strip)",
    ),
    Mutation(
        "discount-rate-15-percent", "pricing/service.py", 'Decimal("0.10")', 'Decimal("0.15")'
    ),
    Mutation("order-qty-up-to-1001", "orders/models.py", "QTY_MAX = 1000", "QTY_MAX = 1001"),
    Mutation(
        "no-welcome-email",
        "users/router.py",
        "background_tasks.add_task(",
        "(lambda *_: None)(",
    ),
    Mutation(
        "ready-ignores-a-dead-database",
        "db.py",
        "return False\n        return True",
        "return True\n        return True",
    ),
    Mutation(
        "password-of-11-characters",
        "users/schemas.py",
        "PASSWORD_MIN_LENGTH = 12",
        "PASSWORD_MIN_LENGTH = 11",
        auth_only=True,
    ),
    Mutation(
        "user-profile-readable-by-another-user",
        "users/router.py",
        "if user is None or not may_read(caller, owner_id=user.id):",
        "if user is None:",
        auth_only=True,
    ),
    Mutation(
        "token-signature-not-checked",
        "auth/security.py",
        'options={"require": ["exp", "sub"]}',
        'options={"require": ["exp", "sub"], "verify_signature": False}',
        auth_only=True,
    ),
    Mutation(
        "expired-token-accepted",
        "auth/security.py",
        'options={"require": ["exp", "sub"]}',
        'options={"require": ["exp", "sub"], "verify_exp": False}',
        auth_only=True,
    ),
    Mutation(
        "body-limit-off",
        "main.py",
        "RequestBodyLimitMiddleware, max_body_size=settings.max_request_body_bytes",
        "RequestBodyLimitMiddleware, max_body_size=2**40",
    ),
    Mutation(
        "cors-allows-every-origin",
        "main.py",
        "allow_origins=list(settings.cors_allow_origins)",
        'allow_origins=["*"]',
    ),
    Mutation(
        "request-id-header-renamed",
        "main.py",
        "header_name=REQUEST_ID_HEADER",
        'header_name="X-Correlation-ID"',
    ),
    Mutation(
        "metrics-labelled-by-raw-path",
        "metrics.py",
        "route = self.route_template(scope) or UNMATCHED_ROUTE",
        'route = scope["path"]',
    ),
    Mutation(
        "dead-worker-gauges-kept",
        "metrics.py",
        "multiprocess.mark_process_dead(worker.pid)",
        "(lambda pid: None)(worker.pid)",
    ),
    Mutation(
        "secret-keys-not-redacted",
        "logs.py",
        "event_dict[key] = REDACTED",
        "event_dict[key] = value",
    ),
    Mutation(
        "request-headers-logged",
        "logs.py",
        "status=status,\n",
        'status=status,\n                headers=str(scope["headers"]),\n',
        auth_only=True,
    ),
    Mutation(
        "orders-visible-to-everyone",
        "orders/router.py",
        "if order is None or not may_read(user, owner_id=order.owner_id):",
        "if order is None:",
        auth_only=True,
    ),
    Mutation(
        "failed-logins-not-counted",
        "auth/router.py",
        "headers=await attempt.failed())",
        "headers=await attempt.limiter.headers(attempt))",
        auth_only=True,
    ),
    # Issue 9: one error shape, bounded inputs, the authorization table.
    Mutation(
        "admins-read-only-their-own",
        "auth/dependencies.py",
        "return user.is_admin or user.id == owner_id",
        "return user.id == owner_id",
        auth_only=True,
    ),
    Mutation(
        "value-echoed-in-a-422",
        "problems.py",
        'message=error["msg"],',
        "message=f\"{error['msg']}: {error.get('input')!r}\",",
    ),
    Mutation(
        "500-leaks-the-trace",
        "problems.py",
        "status=500, detail=SERVER_ERROR_DETAIL,",
        "status=500, detail=__import__('traceback').format_exc(),",
    ),
    Mutation(
        "errors-as-plain-json",
        "problems.py",
        "    media_type = PROBLEM_MEDIA_TYPE",
        '    media_type = "application/json"',
    ),
    Mutation("413-in-plain-text", "main.py", "    app.add_middleware(TooLargeAsProblem)\n", ""),
    Mutation(
        "offset-unbounded",
        "pagination.py",
        "offset: int = Field(default=0, ge=0, le=INT4_MAX)",
        "offset: int = Field(default=0, ge=0)",
    ),
    Mutation(
        "ids-past-the-integer-column",
        "limits.py",
        "RowId = Annotated[int, Path(ge=1, le=INT4_MAX)]",
        "RowId = Annotated[int, Path(ge=1)]",
    ),
    Mutation("seats-unbounded", "pricing/router.py", "Query(ge=1, le=SEATS_MAX)", "Query(ge=1)"),
    Mutation(
        "nul-reaches-the-database", "limits.py", 'NO_NUL = r"^[^\\x00]*$"', 'NO_NUL = r"^.*$"'
    ),
    Mutation(
        "login-password-unbounded",
        "auth/schemas.py",
        "password: StorableText = Field(max_length=PASSWORD_MAX_LENGTH)",
        "password: StorableText",
        auth_only=True,
    ),
)
TARGETS = ("async-auth-github", "sync-noauth-none")
CASES = [
    pytest.param(target, mutation, id=f"{target}-{mutation.id}")
    for target in TARGETS
    for mutation in MUTATIONS
    if not (mutation.auth_only and "noauth" in target)
]


@pytest.fixture(scope="session")
def built_copies() -> dict[str, tuple[Path, dict[str, str]]]:
    """Per worker: a private copy of each target render, built on first use."""
    return {}


def built_copy(
    target: str,
    copies: dict[str, tuple[Path, dict[str, str]]],
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    uv_cache: Path,
    postgres: Any,
) -> tuple[Path, dict[str, str]]:
    """This worker's copy of ``target``: cloned from the render, built, with its own database."""
    if target in copies:
        return copies[target]
    combination = next(c for c in combinations() if c.id == target)
    interpreter = interpreter_for(combination.python_version)
    assert interpreter is not None, f"no Python {combination.python_version} for {target}"
    source = rendered(shared_dir, combination).path
    copy = tmp_path_factory.mktemp(f"mutant-{target}") / "service"
    # A clone of the render's first commit: exactly what the user got, none of the outputs
    # (.venv, reports) another worker may be writing into the render at this moment.
    subprocess.run(["git", "clone", "--quiet", str(source), str(copy)], check=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    worker_database = f"{combination.database}_mutants_{worker}"
    env = project_env(
        interpreter,
        uv_cache,
        copy.parent,
        TEST_DATABASE_URL=database_url(postgres, worker_database),
    )
    setup = run(["make", "setup"], cwd=copy, env=env, log=copy.parent / "setup.log", timeout=900)
    assert setup.returncode == 0, setup.explain()
    copies[target] = (copy, env)
    return copies[target]


# With -x a run stops at its first failure, so the order decides the cost, never the verdict:
# every test file is passed, one by one (pytest keeps the order of arguments that do not
# overlap). First the files named after the mutated module (`users/router.py`: test_users_*)
# or listed in LIKELY_CATCHERS, then the rest; within each, cheapest layer first, unknown folders
# last. A bug the API tests catch then costs one file instead of the ~230 tests before it.
LAYER_ORDER = ("unit", "integration", "api", "e2e")
MUTANT_RUN = [".venv/bin/python", "-m", "pytest", "-x", "-q", "--no-cov", "-p", "no:randomly"]
# Where the module's name does not lead to the test that catches its bug (main.py's middleware,
# limits.py's bounds), the file that caught it when measured. A hint only: if the file no longer
# catches the bug, the rest of the suite still runs.
HTTP_STACK, BOUNDS = ("test_http_stack",), ("test_input_bounds",)
LIKELY_CATCHERS = {
    "413-in-plain-text": HTTP_STACK,
    "body-limit-off": HTTP_STACK,
    "cors-allows-every-origin": HTTP_STACK,
    "request-id-header-renamed": HTTP_STACK,
    "ids-past-the-integer-column": BOUNDS,
    "offset-unbounded": BOUNDS,
    "seats-unbounded": BOUNDS,
    "nul-reaches-the-database": BOUNDS,
    "failed-logins-not-counted": ("test_login_rate_limit",),
    "request-headers-logged": ("test_secrets_not_logged",),
    "ready-ignores-a-dead-database": ("test_health",),
}


def suite_files_likely_catchers_first(project: Path, mutation: Mutation) -> list[str]:
    """Every test file of the render, those likely to catch ``mutation`` first."""
    topic = Path(mutation.path).parts[0].removesuffix(".py")
    likely = LIKELY_CATCHERS.get(mutation.id, ())
    rank = {name: index for index, name in enumerate(LAYER_ORDER)}

    def order(path: Path) -> tuple[bool, int, str]:
        first = topic in path.stem or path.stem in likely
        return (not first, rank.get(path.parent.name, len(LAYER_ORDER)), str(path))

    files = sorted((project / "tests").rglob("test_*.py"), key=order)
    return [str(path.relative_to(project)) for path in files]


def test_every_likely_catcher_names_a_planted_bug() -> None:
    """A renamed bug must not leave its hint behind, silently unused."""
    assert set(LIKELY_CATCHERS) <= {mutation.id for mutation in MUTATIONS}


@pytest.mark.parametrize(("target", "mutation"), CASES)
def test_rendered_suite_fails_on_a_planted_bug(
    target: str,
    mutation: Mutation,
    built_copies: dict[str, tuple[Path, dict[str, str]]],
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    uv_cache: Path,
    postgres: Any,
) -> None:
    """The planted bug makes at least one of the render's own tests fail."""
    copy, env = built_copy(target, built_copies, shared_dir, tmp_path_factory, uv_cache, postgres)
    package = next(copy.glob("src/*/__init__.py")).parent
    source = package / mutation.path
    original = source.read_text(encoding="utf-8")
    assert original.count(mutation.old) >= 1, (
        f"{mutation.id}: {mutation.path} no longer has {mutation.old!r}"
    )
    source.write_text(original.replace(mutation.old, mutation.new, 1), encoding="utf-8")
    log = copy.parent / f"{mutation.id}.log"
    try:
        suite = run(
            [*MUTANT_RUN, *suite_files_likely_catchers_first(copy, mutation)],
            cwd=copy,
            env=env,
            log=log,
            timeout=600,
        )
    finally:
        source.write_text(original, encoding="utf-8")
    summary = suite.tail(3)
    # Exit 1 with "failed": a test caught it. Exit 2 or more: a crash, which proves nothing.
    assert suite.returncode == 1, f"{mutation.id} was not caught:\n{suite.explain()}"
    assert " failed" in summary, (
        f"{mutation.id} broke the run instead of failing a test:\n{summary}"
    )
