"""Stand-ins for what a server hands an ASGI app, to test one middleware on its own."""

from types import ModuleType, SimpleNamespace

import pytest
from starlette.types import Message


async def nothing_to_read() -> Message:
    """`receive` of a request without a body whose client has gone."""
    return {"type": "http.disconnect"}


class SentMessages(list[Message]):
    """`send` that keeps every message, in order."""

    async def __call__(self, message: Message) -> None:
        self.append(message)


def stub_clock(monkeypatch: pytest.MonkeyPatch, module: ModuleType, *readings: float) -> None:
    """`module`'s `time.perf_counter()` returns `readings`, one a call."""
    clock = iter(readings)
    monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
