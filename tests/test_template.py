"""The template's own shape: small conditionals, ``.jinja`` only where something varies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.matrix import REPO_ROOT

TEMPLATE = REPO_ROOT / "template"
# Whitespace control included: {% if, {%- if, {%+ if, and the same for elif.
CONDITIONAL = re.compile(r"\{%[-+]?\s*(?:if|elif)\b")
BUDGET = 6


def template_files() -> list[Path]:
    """Every file of the payload."""
    return sorted(path for path in TEMPLATE.rglob("*") if path.is_file())


def test_payload_has_files() -> None:
    """The checks below are not vacuous."""
    assert template_files()


def test_no_payload_file_exceeds_the_conditional_budget() -> None:
    """Swap whole blocks or files, never tokens: at most 6 ``{% if %}``/``{% elif %}`` a file."""
    over = {
        str(path.relative_to(REPO_ROOT)): count
        for path in template_files()
        if (count := len(CONDITIONAL.findall(path.read_text(encoding="utf-8", errors="replace"))))
        > BUDGET
    }
    assert not over, f"over the budget of {BUDGET}: {over}"


def test_only_templated_files_carry_the_jinja_suffix() -> None:
    """A ``.jinja`` file has something to render; a plain file is copied as it is."""
    plain = [
        str(path.relative_to(REPO_ROOT))
        for path in template_files()
        if path.suffix == ".jinja"
        and not re.search(r"\{\{|\{%", path.read_text(encoding="utf-8", errors="replace"))
        and not re.search(r"\{\{|\{%", path.name)
    ]
    assert not plain, f"no Jinja inside, drop the .jinja suffix: {plain}"


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATE)))
def test_template_path_has_no_double_quote(path: Path) -> None:
    """Conditional names use single quotes: a double quote is invalid in a Windows path."""
    assert '"' not in str(path.relative_to(TEMPLATE))
