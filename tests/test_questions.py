"""Bad answers are refused with a message in plain words, and nothing is written.

Answers given as ``data`` are validated by Copier exactly like typed ones, so each validator in
copier.yml is exercised here through the public API.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.matrix import PYTHON, REPO_ROOT, choice_questions, interpreter_for
from tests.rendering import render

RESERVED_NAMES = REPO_ROOT / "includes" / "reserved_package_names.jinja"
TERMINAL_COLUMNS = 80


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param({"project_name": "  "}, "The name is empty", id="project_name-empty"),
        pytest.param(
            {"project_name": " Billing "}, "starts or ends with spaces", id="project_name-padded"
        ),
        pytest.param(
            {"project_name": "Bill\ting"},
            "control character: remove it",
            id="project_name-control-character",
        ),
        pytest.param(
            {"project_slug": "Billing_Service"},
            "Not a slug: a-z, 0-9 and single dashes",
            id="project_slug-uppercase-underscore",
        ),
        pytest.param(
            {"project_slug": "9-lives"},
            "a letter first, e.g. billing-service",
            id="project_slug-leading-digit",
        ),
        pytest.param(
            {"package_name": "9lives"},
            "no digit first, e.g. billing_service",
            id="package_name-leading-digit",
        ),
        pytest.param(
            {"package_name": "billing-service"},
            "Not a package name: a-z, 0-9 and _",
            id="package_name-dash",
        ),
        pytest.param(
            {"package_name": "json"},
            "has this name: pick another, e.g. json_service",
            id="package_name-stdlib",
        ),
        pytest.param(
            {"package_name": "fastapi"},
            "e.g. fastapi_service",
            id="package_name-dependency",
        ),
        pytest.param({"package_name": "class"}, "e.g. class_service", id="package_name-keyword"),
        pytest.param({"description": " "}, "The description is empty", id="description-empty"),
        pytest.param(
            {"description": "One.\nTwo."},
            "The description spans several lines",
            id="description-multiline",
        ),
        pytest.param({"author_name": ""}, "The author name is empty", id="author_name-empty"),
        pytest.param(
            {"author_name": 'Ann "The Dev"'}, "contains a double quote", id="author_name-quote"
        ),
        pytest.param(
            {"author_email": "team.example.com"},
            "Not an email address: use the form name@example.com",
            id="author_email-no-at",
        ),
        pytest.param(
            {"author_email": "team@localhost"},
            "Not an email address",
            id="author_email-no-domain",
        ),
        pytest.param(
            {"db_mode": "threads"}, "Invalid choice for 'db_mode'", id="db_mode-invalid-choice"
        ),
        pytest.param(
            {"python_version": "3.10"},
            "Invalid choice for 'python_version'",
            id="python_version-invalid-choice",
        ),
    ],
)
def test_bad_answer_is_refused_and_nothing_is_written(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    """The validator's own words reach the user; the destination is never created."""
    destination = tmp_path / "service"
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        render(destination, answers)
    assert not destination.exists() or not any(destination.iterdir())
    # Typed answers show the validator's message in one toolbar line, cut at the terminal's
    # width: the whole message, the fix included, fits in 80 columns.
    shown = str(refused.value).split("': ", 1)[-1]
    assert len(shown) <= TERMINAL_COLUMNS, f"{len(shown)} columns: {shown}"


def reserved_package_names() -> set[str]:
    """The names listed in the include, read as the quoted strings of its one list."""
    return set(re.findall(r'"([^"]+)"', RESERVED_NAMES.read_text(encoding="utf-8")))


@pytest.mark.parametrize("version", choice_questions()[PYTHON])
def test_reserved_names_cover_stdlib_and_keywords(version: str) -> None:
    """Every public stdlib module and keyword of each offered Python is a refused package name."""
    interpreter = interpreter_for(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} here to list its standard library")
    listed = subprocess.run(
        [
            str(interpreter),
            "-c",
            "import keyword, sys; print(*sys.stdlib_module_names, *keyword.kwlist)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    public = {name for name in listed if not name.startswith("_")}
    missing = sorted(public - reserved_package_names())
    assert not missing, f"add to {RESERVED_NAMES.relative_to(REPO_ROOT)}: {missing}"


def test_reserved_names_cover_the_running_interpreter() -> None:
    """The same check without a subprocess, so it holds wherever the meta suite runs."""
    public = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    missing = sorted((public | set(keyword.kwlist)) - reserved_package_names())
    assert not missing, f"add to {RESERVED_NAMES.relative_to(REPO_ROOT)}: {missing}"
