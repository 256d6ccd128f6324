"""Render the template and run commands in a render, the way a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier

from tests.bytecode import share_after_run
from tests.matrix import REPO_ROOT

# Variables of the meta session that must not leak into a rendered project's tools: the outer
# uv environment, pytest-xdist's worker identity (the rendered suite would think it is a worker),
# coverage's subprocess hooks and an outer make's flags. And PYTHONDONTWRITEBYTECODE (set on
# this project's machines): a render's environment is built without bytecode
# (UV_COMPILE_BYTECODE=0 below), so under it every Python process started in a render compiled
# every module it imported, each time: a one-file API run took 10.8 to 13.4 s against 4.7 s
# once an earlier run had written its .pyc files. Only speed depends on it.
_LEAKY_PREFIXES = ("PYTEST_", "COV_CORE_", "XDIST_")
_LEAKY_NAMES = {
    "PYTHONDONTWRITEBYTECODE",
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "PYTHONPATH",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    "TEST_DATABASE_URL",
    "DATABASE_URL",
}


def render(dst: Path, answers: Mapping[str, Any]) -> Path:
    """Render the working tree of this repo (``vcs_ref="HEAD"``, drafts included) into ``dst``."""
    copier.run_copy(
        str(REPO_ROOT),
        dst,
        data=dict(answers),
        defaults=True,
        vcs_ref="HEAD",
        unsafe=True,
        quiet=True,
    )
    return dst


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment a user's shell would have, plus ``overrides``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _LEAKY_NAMES and not name.startswith(_LEAKY_PREFIXES)
    }
    env.update(overrides)
    return env


def project_env(
    interpreter: Path, uv_cache: Path, workdir: Path, **overrides: str
) -> dict[str, str]:
    """The environment a render's own tools run in: ``clean_env`` plus its interpreter, the
    session's uv cache, no interpreter downloads, and pytest temp dirs kept under ``workdir``
    (pytest prunes all but the newest numbered dirs of a shared temp root)."""
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    return clean_env(
        UV_PYTHON=str(interpreter),
        # The rendered Makefile compiles all of a new .venv (~5,000 files, 7-19 s here): worth
        # it for a developer's one environment, not for the ~45 this session builds and uses
        # once or twice. Python compiles what a run imports instead; nothing else changes.
        UV_COMPILE_BYTECODE="0",
        UV_PYTHON_DOWNLOADS=os.environ.get("UV_PYTHON_DOWNLOADS", "never"),
        UV_CACHE_DIR=str(uv_cache),
        PYTEST_DEBUG_TEMPROOT=str(workdir / "tmp"),
        **overrides,
    )


@dataclass
class Run:
    """What one command did: its exit code, wall time and where its output went."""

    args: list[str]
    returncode: int
    seconds: float
    log: Path

    def tail(self, lines: int = 80) -> str:
        """The end of the output, for an assertion message."""
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def explain(self) -> str:
        """A failure message that names the command and shows what it printed last."""
        return (
            f"`{' '.join(self.args)}` exited {self.returncode} after {self.seconds:.0f}s; "
            f"full output in {self.log}\n{self.tail()}"
        )


def run(args: list[str], *, cwd: Path, env: Mapping[str, str], log: Path, timeout: float) -> Run:
    """Run ``args`` with output captured to ``log`` (a rendered suite prints a lot)."""
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        # A session of its own, so a timeout ends the servers a suite started, not only make.
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.write(f"\n[meta suite] killed after {timeout:.0f}s\n")
            returncode = -1
    seconds = time.monotonic() - started
    # In the meta suite, what this run compiled later environments get (tests/bytecode.py).
    share_after_run(cwd, env)
    return Run(args, returncode, seconds, log)
