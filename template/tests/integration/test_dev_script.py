"""scripts/dev.py's checks before `make dev` starts anything (the ones a test can reach)."""

import socket
from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture
def dev(import_script: Callable[[str], ModuleType]) -> ModuleType:
    """scripts/dev.py imported as a module."""
    return import_script("dev")


def test_a_port_another_process_listens_on_is_taken(dev: ModuleType) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        problem = dev.port_problem(port)
    assert problem is not None
    assert problem.startswith(f"Port {port} is taken"), problem
    other = port + 1 if port < 65535 else port - 1
    assert problem.endswith(f"PORT={other} make dev"), problem


def test_a_port_this_user_may_not_bind_is_not_called_taken(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a user without privileges binding port 80 on Linux (these tests may run as root).
    def refuse(_self: socket.socket, _address: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    problem = dev.port_problem(80)
    assert problem is not None
    assert problem.startswith("Port 80 needs privileges"), problem
    assert "taken" not in problem
    # Above 1024 too (a reserved range, a security policy), with another port to try.
    problem = dev.port_problem(8000)
    assert problem == "Port 8000 is not allowed to this user: pick another: PORT=8001 make dev"


def test_a_free_port_has_no_problem(dev: ModuleType) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert dev.port_problem(port) is None
