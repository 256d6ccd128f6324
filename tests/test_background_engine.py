"""The wait for a Docker engine that .ci/run starts beside the suite's first tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.containers import wait_for_background_engine

NAME = "META_SUITE_TEST_DOCKER_HOST"


def test_its_variables_reach_the_environment_once_it_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NAME, "before")  # restored after the test
    env_file = tmp_path / "engine.env"
    env_file.write_text(f"export {NAME}=unix:///run/engine.sock\nnot an export\n", "utf-8")

    assert wait_for_background_engine(env_file, deadline=time.time() + 5) is None
    assert os.environ[NAME] == "unix:///run/engine.sock"


def test_an_engine_that_failed_is_a_reason_to_skip(tmp_path: Path) -> None:
    env_file = tmp_path / "engine.env"
    env_file.with_name("engine.env.failed").touch()

    problem = wait_for_background_engine(env_file, deadline=time.time() + 5)

    assert problem is not None
    assert "failed" in problem


def test_an_engine_that_never_answers_is_given_up_on(tmp_path: Path) -> None:
    problem = wait_for_background_engine(tmp_path / "engine.env", deadline=time.time() - 1)

    assert problem is not None
    assert "did not answer in time" in problem
