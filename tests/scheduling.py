"""Longest work first: the order in which the meta suite hands tests to its workers.

With two workers, a mutation gate, a local pipeline run or a rendered suite (a minute or more each)
that starts last leaves the other worker idle until it ends. Sorted longest first, the short checks
fill the gaps at the end instead (the longest-processing-time rule). `--dist worksteal` hands each
worker a contiguous slice of the list and lets an idle one steal from the *end* of another's queue,
but never its last two tests: sorted alone, every long test would sit in the first worker's slice,
run one after another there, and the other worker would steal only short ones, then stop. So the
sorted list is dealt round-robin, one slice per worker, each slice longest first. Both sorts are
stable: within a weight, pytest's own order, which groups the tests of one render, stays.
"""

from __future__ import annotations

import pytest

# Rough minutes of each kind of test on two cores; only their order matters.
WEIGHTS = {
    "test_pipeline_runs_green_locally": 4,
    # `make mutate` of a render: the longest single test (2 to 4 minutes under load).
    "test_every_mutant_is_killed_or_a_reviewed_equivalent": 4,
    "test_rendered_project_passes_its_own_checks": 2,
}
SLOW_WEIGHT = 1


def weight(item: pytest.Item) -> int:
    """How long a test roughly takes, by name, else by its ``slow`` mark."""
    name = getattr(item, "originalname", item.name)
    if name in WEIGHTS:
        return WEIGHTS[name]
    return SLOW_WEIGHT if item.get_closest_marker("slow") else 0


def dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """``items`` longest first, dealt into ``workers`` contiguous slices, each longest first."""
    ranked = sorted(items, key=weight, reverse=True)
    # worksteal gives the first worker the floor of an even share: the shorter slices go first.
    return [item for worker in reversed(range(workers)) for item in ranked[worker::workers]]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the heaviest tests first, after ``--combination`` has chosen which run at all."""
    # Every xdist worker collects, and must order alike: they all know the worker count.
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    items[:] = dealt(items, workers)
