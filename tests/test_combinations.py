"""The combination table is derived from copier.yml and renders every choice value."""

from __future__ import annotations

import math
import re

from tests.matrix import (
    AXES,
    PYTHON,
    choice_questions,
    combinations,
    default,
    default_combination,
)

READABLE_ID = re.compile(r"^(async|sync)-(auth|noauth)-[a-z]+(-py3\.\d+)?$")


def test_every_choice_value_is_rendered() -> None:
    """A choice (or bool) of copier.yml that no combination renders is a hole in the suite."""
    missing = [
        f"{name}={value!r}"
        for name, values in choice_questions().items()
        for value in values
        if not any(c.value(name) == value for c in combinations())
    ]
    assert not missing, f"add these to AXES or the table in tests/matrix.py: {missing}"


def test_axes_are_every_product_of_their_values() -> None:
    """All db_mode x use_auth x ci combinations are there, at the default Python."""
    axes = choice_questions()
    expected = math.prod(len(axes[name]) for name in AXES)
    at_default = {
        tuple(c.value(name) for name in AXES)
        for c in combinations()
        if c.python_version == default(PYTHON)
    }
    assert len(at_default) == expected


def test_ids_are_unique_and_readable() -> None:
    """Ids such as ``async-auth-github`` name a combination in logs and ``make test-one``."""
    ids = [c.id for c in combinations()]
    assert len(ids) == len(set(ids))
    assert all(READABLE_ID.match(i) for i in ids), ids


def test_default_combination_is_async_auth_github() -> None:
    """The render a user gets with ``--defaults`` is in the table under its readable id."""
    assert default_combination().id == "async-auth-github"
