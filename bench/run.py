"""Benchmarks of issue 2, printed as figures: nothing here passes or fails on time.

1. The default rendered project's ``make test``, wall time including its embedded PostgreSQL
   start (no TEST_DATABASE_URL), median of ``--runs`` runs after one untimed ``make setup``.
   Target: 10 s.
2. One full meta suite (this repo's ``make test``). Target: 6 minutes on 2 cores.

Usage: ``make bench`` or ``uv run python -m bench.run [--runs 3] [--no-meta]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import warnings
from pathlib import Path

from copier.errors import DirtyLocalWarning

from tests.matrix import REPO_ROOT, default_combination, interpreter_for
from tests.rendering import clean_env, render, run

PROJECT_TARGET_SECONDS = 10.0
META_TARGET_SECONDS = 6 * 60.0


def report(label: str, seconds: list[float], target: float, failures: list[str]) -> None:
    """Print one benchmark: its median, the single runs and the ratio to its target."""
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.1f}" for s in seconds)
    print(f"{label}: median {median:.1f} s over {len(seconds)} run(s) [{runs}]")
    print(f"  target {target:.0f} s, ratio {median / target:.2f}")
    for failure in failures:
        print(f"  note: {failure}")


def bench_project(workdir: Path, runs: int) -> None:
    """Time the default render's own ``make test``, embedded database start included."""
    combination = default_combination()
    interpreter = interpreter_for(combination.python_version)
    if interpreter is None:
        print(f"rendered project: skipped, no Python {combination.python_version} found")
        return
    with warnings.catch_warnings():
        # Benchmarking the working tree, drafts included, is the point.
        warnings.simplefilter("ignore", DirtyLocalWarning)
        project = render(workdir / "service", combination.answers)
    env = clean_env(
        UV_PYTHON=str(interpreter),
        UV_PYTHON_DOWNLOADS="never",
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR") or str(workdir / "uv-cache"),
    )
    setup = run(["make", "setup"], cwd=project, env=env, log=workdir / "setup.log", timeout=900)
    if setup.returncode != 0:
        print(f"rendered project: setup failed, no figure\n{setup.explain()}")
        return
    seconds, failures = [], []
    for index in range(runs):
        suite = run(
            ["make", "test"], cwd=project, env=env, log=workdir / f"test-{index}.log", timeout=1200
        )
        seconds.append(suite.seconds)
        if suite.returncode != 0:
            failures.append(f"run {index + 1} exited {suite.returncode} (log: {suite.log})")
    report(f"rendered {combination.id} `make test`", seconds, PROJECT_TARGET_SECONDS, failures)
    # The render and its environment weigh hundreds of MB; the logs stay for reading.
    shutil.rmtree(project, ignore_errors=True)


def bench_meta(workdir: Path) -> None:
    """Time one full meta suite, exactly as ``make test`` runs it."""
    suite = run(
        ["make", "test"], cwd=REPO_ROOT, env=clean_env(), log=workdir / "meta.log", timeout=3600
    )
    failures = [] if suite.returncode == 0 else [f"exited {suite.returncode} (log: {suite.log})"]
    report("meta suite `make test`", [suite.seconds], META_TARGET_SECONDS, failures)


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the rendered suite")
    parser.add_argument("--no-meta", action="store_true", help="skip the full meta suite")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"logs in {workdir}")
    bench_project(workdir, options.runs)
    if not options.no_meta:
        bench_meta(workdir)


if __name__ == "__main__":
    main()
