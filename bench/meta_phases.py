"""Where the meta suite's minutes go, read from the junit report of one of its runs.

Each test case counts toward one phase by its module; a rendered suite's case is split further
by the figures it records (``make setup``, ``make lint``, ``make test``), and what is left of it
is its render and the waits around it. Seconds are summed over workers, so they add up to more
than the wall time the report also gives.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from tests.conftest import RESULT_PROPERTY

PHASES = {
    "tests.test_rendered_suite": "renders and waits of the rendered suites",
    "tests.test_mutations": "planted bugs",
    "tests.test_mutation_score": "mutation score gate (make mutate)",
    "tests.test_update": "copier update scenarios",
    "tests.test_containers": "containers",
}
SPLIT = {
    "setup_seconds": "environment builds (make setup)",
    "lint_seconds": "rendered lint (make lint)",
    "test_seconds": "rendered suites (make test)",
}


def phase_of(classname: str, name: str) -> str:
    """The phase a test case belongs to."""
    if classname == "tests.test_pipelines":
        return "pipeline runs" if "locally" in name else "pipeline checks"
    if classname.startswith("tests.contract") or "contract" in name:
        return "contract layer"
    return PHASES.get(classname, "fast checks (render shape, questions, CI)")


def phases(junit: Path) -> tuple[Counter[str], float]:
    """Seconds per phase, summed over workers, and the report's wall time."""
    # The report is the meta suite's own, written by this repository's `make test`.
    root = ET.parse(junit).getroot()  # noqa: S314
    seconds: Counter[str] = Counter()
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        spent = float(case.get("time", 0))
        for prop in case.iter("property"):
            # The local pipeline runs record the same row; their jobs stay "pipeline runs".
            if prop.get("name") == RESULT_PROPERTY and classname == "tests.test_rendered_suite":
                result = json.loads(prop.get("value", "{}"))
                for key, phase in SPLIT.items():
                    seconds[phase] += result.get(key) or 0.0
                    spent -= result.get(key) or 0.0
        seconds[phase_of(classname, name)] += max(spent, 0.0)
    wall = sum(float(suite.get("time", 0)) for suite in root.iter("testsuite"))
    return seconds, wall


def print_phases(junit: Path) -> None:
    """Print the table, or say how to get a report."""
    if not junit.exists():
        print(f"meta suite: no report at {junit}; `make test` writes one, or pass --meta")
        return
    seconds, wall = phases(junit)
    total = sum(seconds.values())
    print(f"meta suite ({junit}): wall {wall / 60:.1f} min, target 8 min, ratio {wall / 480:.2f}")
    print(f"  {'phase':45} {'min':>6} {'share':>6}   (worker minutes, {total / 60:.1f} in all)")
    for phase, spent in seconds.most_common():
        print(f"  {phase:45} {spent / 60:6.1f} {spent / total:6.0%}")
