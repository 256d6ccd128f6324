"""The OpenAPI document is the contract with clients: it changes only on purpose."""

import tomllib
from pathlib import Path

from tests.api.openapi_snapshot import SNAPSHOT, current_openapi, full_openapi, render

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_openapi_matches_the_committed_snapshot() -> None:
    assert render(current_openapi()) == SNAPSHOT.read_text(), (
        "The API contract changed. If that was deliberate, run `make openapi` and commit "
        "tests/api/openapi.json with the change."
    )


def test_openapi_info_carries_the_projects_description_and_version() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    info = full_openapi()["info"]
    assert (info["description"], info["version"]) == (project["description"], project["version"])
