"""`make bench`: the median wall time of three full test runs, database start included."""

import statistics
import subprocess
import sys
import time

RUNS = 3
TARGET_SECONDS = 10.0


def timed_run() -> float:
    """Seconds for one `pytest` run of the whole pyramid."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    times = [timed_run() for _ in range(RUNS)]
    median = statistics.median(times)
    print(f"test suite: runs {', '.join(f'{t:.1f}s' for t in times)}")
    print(
        f"median {median:.1f}s; target {TARGET_SECONDS:.0f}s; ratio {median / TARGET_SECONDS:.2f}"
    )
