"""``copier update`` end to end: a template fix reaches a service and the user's work survives.

Every test renders from a throwaway template repository with its own tags (``tests/template_repo``:
``v0.1.0`` before the v0.2.0 migration, ``v0.2.0`` this work tree, ``v0.2.1`` with a fix), commits
like a user, updates, and looks at what the user would see: files, ``git status``, the answers
file, and, in the slow ones, the project's own suite. Numbers refer to the scenarios of issue 4.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest

from tests.conftest import database_url
from tests.matrix import REPO_ROOT, default, interpreter_for
from tests.releases import git_tags
from tests.rendering import Run, clean_env, project_env, render, run
from tests.template_repo import (
    CURRENT,
    FIX_NEW,
    FIX_TEST,
    FIXED,
    OLD,
    README_NEW,
    TemplateRepo,
    build_template_repo,
    comparable_files,
    copy_project,
    git,
    recorded_answers,
    update_project,
    visible_files,
)

PACKAGE = "my_service"  # the package_name the default project name gives
CONFIG = f"src/{PACKAGE}/config.py"
MARKERS = ("<<<<<<< before updating", "=======", ">>>>>>> after updating")
MIGRATION_SAYS = "[v0.2.0 migration]"
COPIER = str(Path(sys.executable).with_name("copier"))


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """This worker's template repository, tagged v0.1.0, v0.2.0 and v0.2.1."""
    return build_template_repo(tmp_path_factory.mktemp("template") / "repo")


def status(project: Path) -> list[str]:
    """``git status --porcelain`` lines: ``UU path`` for a conflict."""
    return git(project, "status", "--porcelain", "--untracked-files=all").splitlines()


def commit_all(project: Path, message: str) -> None:
    """Commit every change, as a user does before an update."""
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-verify", "-m", message)


def edit(project: Path, path: str, old: str, new: str) -> None:
    """A user's edit: replace ``old`` (present once) by ``new`` in ``path``."""
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: {old!r} is not there once"
    file.write_text(text.replace(old, new), encoding="utf-8")


def leftovers(project: Path) -> subprocess.CompletedProcess[str]:
    """The project's own conflict check (what ``make check-conflicts`` runs)."""
    return subprocess.run(
        [sys.executable, "scripts/check_conflicts.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_clean_merge(project: Path) -> None:
    """No conflict marker, no ``*.rej``, nothing unmerged."""
    check = leftovers(project)
    assert check.returncode == 0, check.stderr
    assert not [line for line in status(project) if line.startswith(("UU", "AA", "DU", "UD"))]


def hook_state(project: Path) -> tuple[str, str]:
    """What the post-copy task must leave alone on update: the ``.env`` and the history."""
    return (project / ".env").read_text(encoding="utf-8"), git(project, "rev-parse", "HEAD")


def assert_hook_left_git_and_env_alone(project: Path, before: tuple[str, str]) -> None:
    """On update the post-copy task ran again: no new commit, no new repo, the same secret."""
    assert hook_state(project) == before
    assert not [p for p in project.rglob(".git") if p != project / ".git"], "a nested repo"


def suite_env(project: Path, uv_cache: Path, postgres: Any, name: str) -> dict[str, str]:
    """The environment the project's suite runs in: its Python, the shared cache, its own DB."""
    interpreter = interpreter_for(default("python_version"))
    if interpreter is None:
        pytest.skip(f"no Python {default('python_version')} here")
    return project_env(
        interpreter,
        uv_cache,
        project.parent,
        TEST_DATABASE_URL=database_url(postgres, f"test_update_{name}"),
    )


def make(project: Path, target: str, env: dict[str, str], timeout: float = 900) -> Run:
    """``make target`` in the project, output logged next to it."""
    log = project.parent / f"make-{target}.log"
    return run(["make", target], cwd=project, env=env, log=log, timeout=timeout)


def assert_lock_holds_and_unit_layer_passes(project: Path, env: dict[str, str]) -> None:
    """CI's ``make setup`` (``uv sync --locked``: a lock that no longer fits pyproject.toml
    fails it) and the unit layer, where the fix's own test lives.

    An updated project whose files equal a fresh render's (its lock's package names included) runs
    that render's suite; the rendered-suite tests run every combination's whole suite already,
    and a template fix's own test is in the unit layer, so no update scenario runs the whole
    suite again (the one that did, for the default answers, cost about 100 s of a worker).
    """
    unit = make(project, "test-unit", env | {"CI": "true"})
    assert unit.returncode == 0, unit.explain()


# 1 and 7 -----------------------------------------------------------------------------------------

DB_AUTH = [
    pytest.param(db_mode, use_auth, id=f"{db_mode}-{'auth' if use_auth else 'noauth'}")
    for db_mode, use_auth in itertools.product(("async", "sync"), (True, False))
]


@pytest.mark.slow
@pytest.mark.parametrize(("db_mode", "use_auth"), DB_AUTH)
def test_template_fix_reaches_the_project_and_its_fix_test_passes(
    db_mode: str,
    use_auth: bool,
    template_repo: TemplateRepo,
    tmp_path: Path,
    uv_cache: Path,
    postgres: Any,
) -> None:
    """1, 7: v0.2.0 -> v0.2.1 brings the fix and its test, and leaves exactly a fresh v0.2.1
    render; the lock holds in CI and the fix's test passes (why not the whole suite:
    ``assert_lock_holds_and_unit_layer_passes``)."""
    answers = {"db_mode": db_mode, "use_auth": use_auth, "ci": "none"}
    project = copy_project(template_repo, tmp_path / "service", answers, CURRENT)
    before = hook_state(project)

    update_project(project)

    assert recorded_answers(project)["_commit"] == FIXED
    assert FIX_NEW in (project / CONFIG).read_text(encoding="utf-8")
    assert (project / FIX_TEST.removeprefix("template/").removesuffix(".jinja")).is_file()
    assert_clean_merge(project)
    assert_hook_left_git_and_env_alone(project, before)
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    fresh = copy_project(template_repo, tmp_path / "fresh" / "service", answers, FIXED)
    assert comparable_files(project) == comparable_files(fresh)
    name = f"fix_{db_mode}_{'auth' if use_auth else 'noauth'}"
    env = suite_env(project, uv_cache, postgres, name)
    assert_lock_holds_and_unit_layer_passes(project, env)


# 2 -----------------------------------------------------------------------------------------------


def test_user_edits_merge_where_git_can_and_conflict_visibly_where_it_cannot(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """2: through ``make template-update``: README merged, config.py left as a marked conflict."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, CURRENT)
    readme_edit = "`make dev` applies the migrations first (see docs/operations.md)."
    edit(project, "README.md", "`make dev` applies the migrations first.", readme_edit)
    # The line v0.2.1 rewrites: git cannot choose between the two.
    edit(project, CONFIG, '    log_level: str = "INFO"\n', '    log_level: str = "DEBUG"\n')
    commit_all(project, "Our own changes")
    ours = git(project, "rev-parse", "HEAD").strip()

    update = make(project, "template-update", clean_env(COPIER=COPIER), timeout=300)
    output = update.log.read_text(encoding="utf-8")

    assert update.returncode != 0, f"conflicts left, yet make template-update succeeded:\n{output}"
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme_edit in readme, "the user's README edit was lost"
    assert README_NEW in readme, "the template's README change did not arrive"
    assert not [line for line in readme.splitlines() if line.startswith(MARKERS[::2])]
    config = (project / CONFIG).read_text(encoding="utf-8")
    conflict = f'{MARKERS[0]}\n    log_level: str = "DEBUG"\n{MARKERS[1]}\n{FIX_NEW}{MARKERS[2]}\n'
    assert conflict in config, config
    assert f"UU {CONFIG}" in status(project)
    assert CONFIG in output, output
    assert "git reset --hard && git clean -fd" in output, output
    check = make(project, "check-conflicts", clean_env(), timeout=60)
    assert check.returncode != 0
    # Each marker line once, although git lists an unmerged file once per index stage.
    assert check.log.read_text(encoding="utf-8").count(f"{CONFIG}:") == 2
    assert git(project, "rev-parse", "HEAD").strip() == ours, "the update committed something"
    # The abort the README and the target print gives the project back exactly as it was.
    env_before = (project / ".env").read_text(encoding="utf-8")
    git(project, "reset", "--quiet", "--hard")
    git(project, "clean", "--quiet", "-fd")
    assert status(project) == []
    assert '    log_level: str = "DEBUG"\n' in (project / CONFIG).read_text(encoding="utf-8")
    assert (project / ".env").read_text(encoding="utf-8") == env_before


def test_template_update_refuses_a_dirty_tree(template_repo: TemplateRepo, tmp_path: Path) -> None:
    """The precheck: uncommitted work stops the update before Copier runs, with the reason."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, CURRENT)
    (project / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    refused = make(project, "template-update", clean_env(COPIER=COPIER), timeout=120)
    output = refused.log.read_text(encoding="utf-8")
    assert refused.returncode != 0
    assert "uncommitted changes" in output, output
    assert "notes.txt" in output, output
    assert recorded_answers(project)["_commit"] == CURRENT
    # VERSION and ANSWERS reach copier as --vcs-ref and one --data per answer.
    planned = subprocess.run(
        ["make", "-n", "template-update", "VERSION=v0.2.1", "ANSWERS=use_auth=false ci=gitlab"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        "scripts/template_update.py --vcs-ref=v0.2.1 --data=use_auth=false --data=ci=gitlab"
        in planned
    )


@pytest.mark.parametrize(
    ("version", "returncode", "says"),
    [
        pytest.param(CURRENT, 2, f"The template has a newer release, {FIXED}", id="behind"),
        pytest.param(
            FIXED, 0, f"Up to date: the template's newest release is {FIXED}", id="newest"
        ),
    ],
)
def test_template_check_names_a_newer_release(
    template_repo: TemplateRepo, tmp_path: Path, version: str, returncode: int, says: str
) -> None:
    """``make template-check``, what the scheduled CI job runs: exit 2 and the release's name
    when one is newer, 0 when the service has the newest."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, version)
    check = make(project, "template-check", clean_env(COPIER=COPIER), timeout=120)
    output = check.log.read_text(encoding="utf-8")
    assert check.returncode == returncode, output
    assert says in output, output
    if returncode:
        assert "make template-update\n" in output, output
    assert status(project) == [], "the check changed the project"


# 3 -----------------------------------------------------------------------------------------------

USER_FILES = {
    f"src/{PACKAGE}/invoices/__init__.py": "",
    f"src/{PACKAGE}/invoices/router.py": (
        '"""Our invoices."""\n\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n'
    ),
    "tests/api/test_invoices_api.py": '"""Our invoices API."""\n\n\ndef test_nothing() -> None:\n'
    "    assert True\n",
    "migrations/versions/0002_add_invoices.py": '"""Add invoices."""\n\nrevision = "0002"\n'
    'down_revision = "0001"\n',
    # Inside a folder the template owns, and removes when use_auth is turned off.
    f"src/{PACKAGE}/auth/sso.py": '"""Our single sign-on."""\n',
}


def test_files_the_user_added_are_never_touched(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """3: own router, test, migration, and a module in auth/ survive an update and auth off."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, CURRENT)
    for path, text in USER_FILES.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")
    edit(
        project,
        f"src/{PACKAGE}/main.py",
        "    app.include_router(health_router)\n",
        "    app.include_router(health_router)\n    app.include_router(invoices_router)\n",
    )
    commit_all(project, "Our invoices")
    main_before = (project / f"src/{PACKAGE}/main.py").read_text(encoding="utf-8")

    update_project(project)
    assert_clean_merge(project)
    for path, text in USER_FILES.items():
        assert (project / path).read_text(encoding="utf-8") == text, path
    assert (project / f"src/{PACKAGE}/main.py").read_text(encoding="utf-8") == main_before
    assert not [line for line in status(project) if any(p in line for p in USER_FILES)]

    commit_all(project, "Update to v0.2.1")
    update_project(project, {"use_auth": False})
    assert not (project / f"src/{PACKAGE}/auth/router.py").exists()
    for path, text in USER_FILES.items():
        assert (project / path).read_text(encoding="utf-8") == text, path


# 4 -----------------------------------------------------------------------------------------------


def test_update_without_template_change_leaves_the_tree_identical(
    template_repo: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """4: updating v0.2.1 to v0.2.1 changes no file, makes no commit, keeps the .env secret."""
    project = copy_project(template_repo, tmp_path / "service", {}, FIXED)
    files, before = visible_files(project), hook_state(project)

    update_project(project)

    assert status(project) == []
    assert visible_files(project) == files
    assert_hook_left_git_and_env_alone(project, before)
    assert MIGRATION_SAYS not in capfd.readouterr().err, "a migration ran without crossing v0.2.0"


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="async-auth-github"),
        pytest.param(
            {"db_mode": "sync", "use_auth": False, "ci": "gitlab"}, id="sync-noauth-gitlab"
        ),
    ],
)
def test_updated_project_equals_a_fresh_render_of_that_version(
    answers: dict[str, Any],
    template_repo: TemplateRepo,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """4: v0.2.0 updated to v0.2.1 holds exactly the files a fresh v0.2.1 render holds."""
    updated = copy_project(template_repo, tmp_path / "updated" / "service", answers, CURRENT)
    update_project(updated)
    fresh = copy_project(template_repo, tmp_path / "fresh" / "service", answers, FIXED)

    assert comparable_files(updated) == comparable_files(fresh)
    assert MIGRATION_SAYS not in capfd.readouterr().err, "a migration ran without crossing v0.2.0"


# 5 -----------------------------------------------------------------------------------------------

ANSWER_CHANGES = [
    pytest.param(
        {"use_auth": False},
        {"use_auth": True},
        [
            f"src/{PACKAGE}/auth/router.py",
            f"src/{PACKAGE}/auth/promote.py",
            "tests/api/test_auth_api.py",
        ],
        [],
        id="use_auth-off-to-on",
    ),
    pytest.param(
        {"ci": "github"},
        {"ci": "gitlab"},
        [".gitlab-ci.yml"],
        [".github/workflows/ci.yml"],
        id="ci-github-to-gitlab",
    ),
    pytest.param(
        {"db_mode": "sync"},
        {"db_mode": "async"},
        [],
        [],
        id="db_mode-sync-to-async",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("before", "after", "appear", "vanish"), ANSWER_CHANGES)
def test_changing_an_answer_during_update_swaps_the_files_and_relocks(
    before: dict[str, Any],
    after: dict[str, Any],
    appear: list[str],
    vanish: list[str],
    template_repo: TemplateRepo,
    tmp_path: Path,
    uv_cache: Path,
    postgres: Any,
) -> None:
    """5: exactly the new choice's files (those of a fresh render with it, lock included); the
    lock holds in CI and the unit layer passes."""
    project = copy_project(template_repo, tmp_path / "service", before, CURRENT)
    assert not [path for path in appear if (project / path).exists()]
    assert all((project / path).exists() for path in vanish)
    before_update = hook_state(project)

    update_project(project, after)

    assert all((project / path).is_file() for path in appear)
    assert not [path for path in vanish if (project / path).exists()]
    answers = recorded_answers(project)
    assert all(answers[name] == value for name, value in after.items())
    fresh = copy_project(template_repo, tmp_path / "fresh" / "service", before | after, FIXED)
    assert comparable_files(project) == comparable_files(fresh)
    assert_clean_merge(project)
    assert_hook_left_git_and_env_alone(project, before_update)
    name = "answer_" + "_".join(f"{k}_{v}" for k, v in after.items()).lower()
    assert_lock_holds_and_unit_layer_passes(project, suite_env(project, uv_cache, postgres, name))


# 6 -----------------------------------------------------------------------------------------------

OLD_PROMOTE = f"src/{PACKAGE}/users/promote.py"
NEW_PROMOTE = f"src/{PACKAGE}/auth/promote.py"
SUCCESS = '    print(f"{user.email} is now an admin.")\n'
OUR_LINE = '    print("Sign in again: your new token carries the admin role.")\n'


def test_migration_carries_edits_of_the_moved_file_across_v0_2_0(
    template_repo: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """6: v0.1.0 -> v0.2.0 moves users/promote.py to auth/, with the user's edit merged in."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, OLD)
    edit(project, OLD_PROMOTE, SUCCESS, SUCCESS + OUR_LINE)
    commit_all(project, "Tell new admins to sign in again")

    update_project(project, version=CURRENT)

    assert "are merged into" in capfd.readouterr().err
    assert recorded_answers(project)["_commit"] == CURRENT
    moved = (project / NEW_PROMOTE).read_text(encoding="utf-8")
    assert SUCCESS + OUR_LINE in moved, "the user's edit did not follow the file"
    assert "from ..users.service import promote_to_admin" in moved, "the template's change is lost"
    assert not (project / OLD_PROMOTE).exists()
    assert f"D  {OLD_PROMOTE}" in status(project)
    assert ".auth.promote" in (project / "Makefile").read_text(encoding="utf-8")
    assert_clean_merge(project)

    # Idempotent: a second run finds the file already migrated and changes nothing.
    files = visible_files(project)
    again = subprocess.run(
        [
            sys.executable,
            str(template_repo.path / "hooks/v0.2.0/move_promote_to_auth.py"),
            f"--package={PACKAGE}",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "already migrated" in again.stderr
    assert visible_files(project) == files


def test_migration_leaves_a_marked_conflict_when_edits_collide(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """6: the user edited the import line v0.2.0 rewrites: both kept, the file is ``UU``."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, OLD)
    ours = "from .service import promote_to_admin as promote_user\n"
    edit(project, OLD_PROMOTE, "from .service import promote_to_admin\n", ours)
    commit_all(project, "Rename the import")

    update_project(project, version=CURRENT)

    moved = (project / NEW_PROMOTE).read_text(encoding="utf-8")
    assert f"{MARKERS[0]}\n{ours}{MARKERS[1]}\nfrom ..users.service import" in moved, moved
    assert f"UU {NEW_PROMOTE}" in status(project)
    assert leftovers(project).returncode != 0


def test_migration_without_edits_gives_a_fresh_v0_2_0_render(
    template_repo: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """6: an unedited v0.1.0 project lands exactly where a fresh v0.2.0 render is."""
    project = copy_project(template_repo, tmp_path / "old" / "service", {}, OLD)
    update_project(project, version=CURRENT)
    fresh = copy_project(template_repo, tmp_path / "fresh" / "service", {}, CURRENT)

    assert "had no edits of yours" in capfd.readouterr().err
    assert comparable_files(project) == comparable_files(fresh)


@pytest.mark.slow
def test_migrated_project_passes_lint_and_its_promote_tests(
    template_repo: TemplateRepo, tmp_path: Path, uv_cache: Path, postgres: Any
) -> None:
    """6: the merged auth/promote.py type-checks and ``make promote-admin``'s tests pass."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, OLD)
    edit(project, OLD_PROMOTE, SUCCESS, SUCCESS + OUR_LINE)
    commit_all(project, "Tell new admins to sign in again")
    update_project(project, version=CURRENT)

    env = suite_env(project, uv_cache, postgres, "migrated")
    lint = make(project, "lint", env)
    assert lint.returncode == 0, lint.explain()
    promote = run(
        [
            "uv",
            "run",
            "pytest",
            "--no-cov",
            "-p",
            "no:randomly",
            "tests/integration/test_promote_admin.py",
        ],
        cwd=project,
        env=env,
        log=tmp_path / "promote-tests.log",
        timeout=600,
    )
    assert promote.returncode == 0, promote.explain()


# The check in the rendered project -------------------------------------------------------------


@pytest.mark.slow
def test_pre_commit_hook_rejects_conflict_markers_and_rej_files(
    template_repo: TemplateRepo, tmp_path: Path, uv_cache: Path, postgres: Any
) -> None:
    """The rendered pre-commit config passes a clean tree and fails on each kind of leftover."""
    project = copy_project(template_repo, tmp_path / "service", {"ci": "none"}, FIXED)
    env = suite_env(project, uv_cache, postgres, "pre_commit")
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    setup = make(project, "setup", env)
    assert setup.returncode == 0, setup.explain()

    def pre_commit(name: str) -> Run:
        return run(
            ["uv", "run", "pre-commit", "run", "--all-files"],
            cwd=project,
            env=env,
            log=tmp_path / f"pre-commit-{name}.log",
            timeout=300,
        )

    clean = pre_commit("clean")
    assert clean.returncode == 0, clean.explain()
    edit(project, "README.md", "## Layout\n", "<<<<<<< before updating\n## Layout\n")
    (project / "Makefile.rej").write_text("@@ -1 +1 @@\n", encoding="utf-8")
    dirty = pre_commit("dirty")
    output = dirty.log.read_text(encoding="utf-8")
    assert dirty.returncode != 0
    assert "README.md:" in output, output
    assert "Makefile.rej" in output, output


# This repository's own releases ------------------------------------------------------------------

# The release before the one this work tree prepares; services rendered from it update to HEAD.
PREVIOUS_RELEASE = "v0.2.0"


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="async-auth-github"),
        pytest.param(
            {"db_mode": "sync", "use_auth": False, "ci": "gitlab"}, id="sync-noauth-gitlab"
        ),
    ],
)
def test_a_service_of_the_real_previous_release_updates_to_this_work_tree(
    answers: dict[str, Any], tmp_path: Path
) -> None:
    """The real tag, not a throwaway one: a service rendered from it updates to HEAD cleanly,
    keeps its history and secret, and then holds what a fresh render of HEAD holds."""
    if PREVIOUS_RELEASE not in (git_tags(REPO_ROOT) or []):
        pytest.skip(
            f"this clone has no tag {PREVIOUS_RELEASE} (a shallow CI checkout fetches none): "
            "run `git fetch --tags` and rerun"
        )
    project = tmp_path / "updated" / "service"
    copier.run_copy(
        str(REPO_ROOT),
        project,
        data=answers,
        defaults=True,
        vcs_ref=PREVIOUS_RELEASE,
        unsafe=True,
        quiet=True,
    )
    assert recorded_answers(project)["_commit"] == PREVIOUS_RELEASE
    before = hook_state(project)

    update_project(project, version="HEAD")
    # With the answers the service keeps: those of v0.2.0's defaults that HEAD changed too.
    kept = {k: v for k, v in recorded_answers(project).items() if not k.startswith("_")}
    fresh = render(tmp_path / "fresh" / "service", kept)

    assert_clean_merge(project)
    assert_hook_left_git_and_env_alone(project, before)
    # HEAD, as `git describe` names it: the newest tag, with the commits after it if any (a
    # dirty work tree renders as a draft commit of its own, so the hashes of two renders differ).
    commit = recorded_answers(project)["_commit"]
    assert commit != PREVIOUS_RELEASE, commit
    assert re.fullmatch(r"v\d+\.\d+\.\d+(-\d+-g[0-9a-f]+)?", commit), commit
    updated_files, fresh_files = visible_files(project), visible_files(fresh)
    # The lock file is the one other difference: the post-copy task of a fresh render writes
    # it, an update leaves the service's own (v0.2.0 renders had none; `make setup` writes it).
    fresh_files.pop("uv.lock", None)
    for files, path in ((updated_files, project), (fresh_files, fresh)):
        files[".copier-answers.yml"] = repr(
            {k: v for k, v in recorded_answers(path).items() if k != "_commit"}
        ).encode()
    assert updated_files == fresh_files
