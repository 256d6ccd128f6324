"""`make lint`, and so every pipeline's lint job, runs the conflict check first."""

from __future__ import annotations

import subprocess

from tests.conftest import Project


def test_make_lint_checks_for_leftover_conflicts_first(project: Project) -> None:
    """`make -n lint` shows the conflict check before ruff and mypy."""
    plan = subprocess.run(
        ["make", "-n", "lint"], cwd=project.path, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    commands = [line for line in plan if "check_conflicts.py" in line or " ruff " in line]
    assert commands, plan
    assert "scripts/check_conflicts.py" in commands[0], plan
