"""The OpenAPI document is the contract with clients: it changes only on purpose."""

from tests.api.openapi_snapshot import SNAPSHOT, current_openapi, render


def test_openapi_matches_the_committed_snapshot() -> None:
    assert render(current_openapi()) == SNAPSHOT.read_text(), (
        "The API contract changed. If that was deliberate, run `make openapi` and commit "
        "tests/api/openapi.json with the change."
    )
