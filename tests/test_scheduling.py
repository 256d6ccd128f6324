"""The meta suite's order: each worker's slice starts with the longest work."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.scheduling import WEIGHTS, dealt, weight


@dataclass
class FakeItem:
    """Just what the ordering reads of a pytest item: its name and whether it is slow."""

    name: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> Any:
        return object() if name == "slow" and self.slow else None


def test_weight_ranks_pipelines_over_suites_over_slow_over_fast() -> None:
    ranked = [
        FakeItem("test_pipeline_runs_green_locally", slow=True),
        FakeItem("test_rendered_project_passes_its_own_checks", slow=True),
        FakeItem("test_rendered_suite_fails_on_a_planted_bug", slow=True),
        FakeItem("test_pipeline_python_is_the_answer"),
    ]
    weights = [weight(item) for item in ranked]  # type: ignore[arg-type]
    assert weights == sorted(weights, reverse=True)
    assert len(set(weights)) == len(weights)


def test_the_mutation_gate_starts_with_the_pipeline_runs() -> None:
    gate = FakeItem("test_every_mutant_is_killed_or_a_reviewed_equivalent", slow=True)
    pipeline = FakeItem("test_pipeline_runs_green_locally", slow=True)
    assert weight(gate) == weight(pipeline)  # type: ignore[arg-type]


def test_every_weighed_name_is_a_meta_test() -> None:
    """A renamed test must not leave its weight behind, silently back at the default."""
    sources = [path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py")]
    assert [name for name in WEIGHTS if not any(f"def {name}(" in s for s in sources)] == []


def test_each_worksteal_slice_starts_with_long_work() -> None:
    fast = [FakeItem(f"test_fast_{i}") for i in range(7)]
    long = [FakeItem("test_pipeline_runs_green_locally", slow=True) for _ in range(2)]
    items: Any = [*fast[:3], long[0], *fast[3:], long[1]]
    order = dealt(items, workers=2)
    # worksteal's first share is len // workers items, the rest go to the second worker.
    first, second = order[: len(order) // 2], order[len(order) // 2 :]
    assert (first[0], second[0]) in ((long[0], long[1]), (long[1], long[0]))
    assert sorted(map(id, order)) == sorted(map(id, items)), "every test kept, none twice"
    assert dealt(items, workers=1)[:2] == long
