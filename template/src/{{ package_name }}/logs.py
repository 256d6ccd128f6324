"""Structured logs: one formatter for the service's own lines and every library's.

structlog renders JSON lines (`LOG_FORMAT=json`, the default, for log shippers) or readable
lines (`LOG_FORMAT=console`, which `make dev` sets). Loggers of the standard library (uvicorn,
gunicorn, SQLAlchemy, ...) are routed through the same formatter, so every line of the process
has one shape. While a request is served, every line carries its `request_id`
(asgi-correlation-id reads or makes it) and, once the caller is known, its `user_id`.
"""

import logging
import re
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TextIO

import structlog
from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger

from .config import Settings

HANDLER_NAME = "service"
# Keys whose values never reach a log line, wherever they sit in an event.
SECRET_KEY_PATTERN = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|api[-_]?key|credential", re.IGNORECASE
)
REDACTED = "[redacted]"
# Values logged as they are, recognised by their exact type: the ABC checks of `_redact` are
# several times slower, and the access line puts a handful of these on every request's path.
SCALARS = frozenset({str, int, float, bool, type(None)})
# A request id is accepted from the client only in this shape: ids from load balancers and
# tracing systems pass, while newlines (forged log lines) and kilobytes of junk get replaced.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Libraries whose own handlers would print a second, differently shaped line.
LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn", "gunicorn.error", "gunicorn.access")
# uvicorn's access line repeats ours with the raw path and query string, which may carry
# tokens or emails; the access line below logs the route template instead.
SILENCED_LOGGERS = ("uvicorn.access",)

logger = structlog.get_logger()


def is_valid_request_id(value: str) -> bool:
    """True for an `X-Request-ID` worth keeping (asgi-correlation-id's validator)."""
    return REQUEST_ID_PATTERN.fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _is_secret(key: str) -> bool:
    # Events reuse a handful of keys: the cache makes the check a dict lookup per key.
    return SECRET_KEY_PATTERN.search(key) is not None


def _redact(value: Any) -> Any:
    """A copy of `value` without secrets: in any mapping (read-only ones too, such as a
    request's headers) and in the mappings a list or tuple holds."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_secret(str(key)) else _redact(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, tuple):  # stays a tuple: structlog reads `exc_info` only as one
        return tuple(_redact(item) for item in value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Replace the value of every password-, token- or secret-like key, nested ones too.

    The event is changed in place: structlog builds a fresh one for each log call. Nested
    values are copied, so the caller's own objects stay as they were.
    """
    for key, value in event_dict.items():
        if _is_secret(str(key)):
            event_dict[key] = REDACTED
        elif type(value) not in SCALARS:
            event_dict[key] = _redact(value)
    return event_dict


def add_request_id(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Add the id of the request being served, if any."""
    if (request_id := correlation_id.get()) is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    add_request_id,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
]


def _renderers(log_format: str, output: TextIO) -> list[Processor]:
    # Tracebacks without local variables: a frame's locals may hold the password being checked.
    if log_format == "console":
        # Colours for a terminal only: in a file (`make dev > dev.log`) they are escape codes.
        return [
            structlog.dev.ConsoleRenderer(
                colors=output.isatty(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    exceptions = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    return [
        structlog.processors.ExceptionRenderer(exceptions),
        structlog.processors.JSONRenderer(),
    ]


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send structlog's lines and the standard library's to `stream`, in one format.

    structlog's own lines are rendered and written directly (no `logging.LogRecord` on the way:
    the access line is on every request's path); the standard library's get the same
    processors through a `ProcessorFormatter`. Safe to call again (each app built in a test
    calls it): the previous handler is replaced.
    """
    output = stream or sys.stdout
    structlog.configure(
        processors=[*SHARED_PROCESSORS, *_renderers(settings.log_format, output)],
        logger_factory=structlog.WriteLoggerFactory(file=output),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level]
        ),
        # Loggers stay uncached (structlog's default, relied on): a logger made before a
        # reconfiguration must follow it to the new stream.
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *SHARED_PROCESSORS],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_renderers(settings.log_format, output),
        ],
    )
    handler = logging.StreamHandler(output)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    for name in SILENCED_LOGGERS:
        logging.getLogger(name).disabled = True


def bind_user_id(user_id: int) -> None:
    """Name the caller in every later log line of this request, the access line included."""
    structlog.contextvars.bind_contextvars(user_id=user_id)


class AccessLogMiddleware:
    """One line per request: method, route template, status, duration, request and user id.

    A pure ASGI middleware (no library logs the route template rather than the raw path, which
    may carry ids and emails); it runs inside asgi-correlation-id's, so the request id is set.
    """

    def __init__(self, app: ASGIApp, route_template: Callable[[Scope], str | None]) -> None:
        self.app = app
        self.route_template = route_template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Each request starts with no user bound, whatever the task ran before.
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            logger.info(
                "request",
                # structlog's own loggers write directly: the name travels as a key.
                logger=__name__,
                method=scope["method"],
                route=self.route_template(scope),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
