"""What a rendered suite's run reports: its tests per layer, its skips, its coverage.

Read by the rendered-suite tests (one `make test`) and the local pipeline runs (the junit reports
of every job together), which check the same things and add the same row to the session's table.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

LAYERS = ("unit", "integration", "api", "contract", "e2e")
COVERAGE_GATE = 90.0
# The one test allowed to skip, and only where no Docker API answers: the Docker provider of the
# test database.
ALLOWED_SKIP = "testcontainers"


def layer_of(classname: str) -> str | None:
    """The pyramid layer of a junit test case, from ``tests.<layer>.``."""
    parts = classname.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" and parts[1] in LAYERS else None


def read_junit(*paths: Path) -> tuple[dict[str, Counter[str]], list[str], list[str], list[str]]:
    """Per-layer outcome counts, plus the failed, skipped and layerless test ids, of one run's
    junit reports (one for `make test`, one per command for a pipeline's jobs)."""
    layers: dict[str, Counter[str]] = {layer: Counter() for layer in LAYERS}
    failed, skipped, strays = [], [], []
    # The reports come from the rendered suite a test just ran, not from outside.
    cases = (case for path in paths for case in ET.parse(path).getroot().iter("testcase"))  # noqa: S314
    for case in cases:
        test_id = f"{case.get('classname')}::{case.get('name')}"
        layer = layer_of(case.get("classname", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
            failed.append(test_id)
        elif case.find("skipped") is not None:
            outcome = "skipped"
            skipped.append(test_id)
        else:
            outcome = "passed"
        if layer is None:
            strays.append(test_id)
        else:
            layers[layer][outcome] += 1
    return layers, failed, skipped, strays


def read_coverage(path: Path) -> float | None:
    """The total coverage (branch coverage included when measured) of a coverage JSON report."""
    if not path.exists():
        return None
    return float(json.loads(path.read_text(encoding="utf-8"))["totals"]["percent_covered"])


def pyramid_problems(layers: dict[str, Counter[str]]) -> list[str]:
    """Where the counts break ``unit >= integration >= e2e`` and ``api >= e2e``.

    The pyramid guards the cost of the suite: tests that need the database stay fewer than those
    of pure logic, and those that need a server process fewest of all. The API layer runs in
    process (no server, one rolled-back transaction per test), so it may outgrow the unit layer:
    with auth it does, by its table-driven authorization matrix (every route for four callers)
    and the error and bounds contract (v0.3.0: unit 124, api 166 in `async-auth-github`).
    """
    count = {layer: sum(layers[layer].values()) for layer in LAYERS}
    problems = [f"layer {layer} has no test" for layer in LAYERS if count[layer] == 0]
    for upper, lower in (("unit", "integration"), ("integration", "e2e"), ("api", "e2e")):
        if count[upper] < count[lower]:
            problems.append(f"{upper} ({count[upper]}) < {lower} ({count[lower]})")
    return problems


def report_problems(
    layers: dict[str, Counter[str]],
    failed: list[str],
    skipped: list[str],
    strays: list[str],
    *,
    docker_answers: bool,
) -> list[str]:
    """What ``read_junit``'s findings break: a failure, a skip but the allowed one (none at all
    where a Docker API answers), a test outside ``tests/<layer>/``, the pyramid."""
    problems = [f"failed: {test_id}" for test_id in failed]
    problems += [
        f"skipped: {test_id}" + ("" if docker_answers else f" (only a {ALLOWED_SKIP} test may)")
        for test_id in skipped
        if docker_answers or ALLOWED_SKIP not in test_id
    ]
    problems += [f"not under tests/<layer>/: {test_id}" for test_id in strays]
    problems += [f"pyramid: {p}" for p in pyramid_problems(layers)]
    return problems
