"""Schemathesis's view of the app's OpenAPI document, and the check every contract test runs.

Imported by the tests when they run, not at collection (see `tests/contract/document.py`).
"""

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.document import document_app

# Every check but one: the schema's `email` format admits addresses email-validator refuses
# (reserved domains such as `.test`), so schema-valid input may rightly be a 422.
CHECKS = schemathesis.config.SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"enabled": False}}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", document_app, config=CHECKS)
# By label, for one pytest test per operation with a readable id. (Schemathesis's own
# `schema.parametrize()` gives every operation the same node id under pytest 9, which breaks -k,
# xdist and reports.)
OPERATIONS = {result.ok().label: result.ok() for result in schema.get_all_operations()}
EXAMPLES = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    # Cases are drawn from schemas, not from data a test builds: these checks do not apply.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def cases(operation: schemathesis.APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Requests the schema allows and requests it forbids, for `operation`."""
    return st.one_of(
        *(operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode)
    )


def keeps_the_contract(label: str, app: FastAPI, headers: dict[str, str] | None = None) -> None:
    """Every generated call of the operation `label`, with `headers`, keeps the contract."""

    @given(cases(OPERATIONS[label]))
    @EXAMPLES
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(app=app, headers=headers)

    call()
