"""Integration fixtures: the project's own scripts (what the Makefile runs), as modules."""

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest

from tests import postgres


@pytest.fixture
def import_script(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], ModuleType]:
    """Import a module of scripts/ by name; scripts/ is on the path for this test only (the
    scripts import each other by name, as `python scripts/dev.py` finds them)."""
    monkeypatch.syspath_prepend(str(postgres.PROJECT_ROOT / "scripts"))
    return importlib.import_module
