"""The combination table, derived from copier.yml so a new choice cannot be forgotten.

The product axes (``AXES``) are rendered in every combination of their values with
``python_version`` at its default; every other ``python_version`` gets one extra render with
default answers otherwise. Each combination knows the interpreter that can run it, if any.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = REPO_ROOT / "copier.yml"

# The options whose every combination is rendered. A new choice question joins this tuple
# (and the id below), or test_combinations fails because its values are never rendered.
AXES = ("db_mode", "use_auth", "ci")
PYTHON = "python_version"


@cache
def questions() -> dict[str, dict[str, Any]]:
    """Return the questions of copier.yml by name (settings, the ``_`` keys, left out)."""
    config = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    return {name: spec for name, spec in config.items() if not name.startswith("_")}


def is_asked(spec: dict[str, Any]) -> bool:
    """Tell whether a question reaches the user; ``when: false`` ones are render-time values."""
    return spec.get("when", True) is not False


def choice_values(spec: dict[str, Any]) -> list[Any]:
    """Return the values (not the labels) a choice or bool question accepts, in file order."""
    if spec.get("type") == "bool":
        return [True, False]
    choices = spec.get("choices")
    if choices is None:
        return []
    if isinstance(choices, dict):
        items: list[Any] = list(choices.values())
    else:
        # A list of plain values or of [label, value] pairs.
        items = [c[1] if isinstance(c, list | tuple) else c for c in choices]
    # A choice may be a mapping with its own validator; its value sits under "value".
    return [c["value"] if isinstance(c, dict) else c for c in items]


def choice_questions() -> dict[str, list[Any]]:
    """Return every asked question that has a closed set of answers, with those answers."""
    return {
        name: values
        for name, spec in questions().items()
        if is_asked(spec) and (values := choice_values(spec))
    }


def default(name: str) -> Any:
    """Return a question's default as written (only used for plain, untemplated defaults)."""
    return questions()[name]["default"]


def find_interpreter(version: str) -> Path | None:
    """Find a system interpreter for ``version`` without downloading one.

    ``uv python find`` first (it knows uv-managed and PATH interpreters), then pyenv's versions
    directory, because pyenv shims for inactive versions fail and make uv skip them.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "UV_PYTHON"}}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    try:
        found = subprocess.run(
            ["uv", "python", "find", "--system", "--no-project", version],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        found = None
    if found is not None and found.returncode == 0 and found.stdout.strip():
        return Path(found.stdout.strip())
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class Combination:
    """One set of answers to render, with a readable id such as ``async-auth-github``."""

    id: str
    answers: dict[str, Any] = field(hash=False)

    @property
    def python_version(self) -> str:
        """The Python version this render targets."""
        return str(self.answers[PYTHON])

    @property
    def database(self) -> str:
        """The name of this combination's database on the meta session's PostgreSQL."""
        return "test_" + self.id.replace("-", "_").replace(".", "")

    def value(self, name: str) -> Any:
        """The answer for ``name``, the copier.yml default when the combination leaves it out."""
        return self.answers.get(name, default(name))


def combination_id(answers: dict[str, Any]) -> str:
    """Spell a combination as ``<db_mode>-<auth|noauth>-<ci>[-py<version>]``."""
    parts = [
        str(answers.get("db_mode", default("db_mode"))),
        "auth" if answers.get("use_auth", default("use_auth")) else "noauth",
        str(answers.get("ci", default("ci"))),
    ]
    if answers[PYTHON] != default(PYTHON):
        parts.append(f"py{answers[PYTHON]}")
    return "-".join(parts)


@cache
def combinations() -> tuple[Combination, ...]:
    """Every product of ``AXES`` at the default Python, then one render per other Python."""
    axes = choice_questions()
    table = []
    for values in itertools.product(*(axes[name] for name in AXES)):
        answers = dict(zip(AXES, values, strict=True)) | {PYTHON: default(PYTHON)}
        table.append(Combination(combination_id(answers), answers))
    for version in axes[PYTHON]:
        if version != default(PYTHON):
            answers = {PYTHON: version}
            table.append(Combination(combination_id(answers), answers))
    return tuple(table)


@cache
def interpreter_for(version: str) -> Path | None:
    """The interpreter for ``version`` on this machine, looked up once per session."""
    return find_interpreter(version)


def default_combination() -> Combination:
    """The combination a user gets with ``--defaults``."""
    answers = {name: default(name) for name in (*AXES, PYTHON)}
    wanted = combination_id(answers)
    return next(c for c in combinations() if c.id == wanted)


def github_matrix() -> list[dict[str, str]]:
    """The table as a GitHub Actions ``matrix.include``: one entry per combination."""
    return [{"id": c.id, "python": c.python_version} for c in combinations()]


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.matrix --github-matrix`` prints the table as JSON, for CI."""
    parser = argparse.ArgumentParser(prog="python -m tests.matrix", description=__doc__)
    parser.add_argument(
        "--github-matrix",
        action="store_true",
        help='print [{"id": ..., "python": ...}, ...] on one line, for fromJSON() in a workflow',
    )
    args = parser.parse_args(argv)
    if args.github_matrix:
        print(json.dumps(github_matrix(), separators=(",", ":")))
    else:
        for combination in combinations():
            print(combination.id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
