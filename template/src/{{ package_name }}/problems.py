"""One error shape: every 4xx and 5xx is RFC 9457 problem details plus the request id.

Hand-written (a hundred lines) rather than a library: the RFC 9457 packages on PyPI are young and
little used, and none of them keeps the submitted values out of validation errors, which is the
point here (a password, or a 10 MB body, must never come back in a 422).
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
TOO_LARGE_DETAIL = "The request body is larger than this service accepts."
SERVER_ERROR_DETAIL = "The server failed to answer this request; quote its request_id to report it."
UNAVAILABLE_DETAIL = "The database cannot serve this request now; try again shortly."
# SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), too many
# connections, and shutting down or starting up. A deadlock, a cancelled query or a lock timeout
# is not among them: those are the code's, and get a 500 with their trace.
UNAVAILABLE_SQLSTATES = ("08", "53300", "57P01", "57P02", "57P03")
RETRY_AFTER_SECONDS = 5
logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it, never the value it was given."""

    field: str = Field(examples=["body.password"])
    message: str
    type: str = Field(examples=["string_too_short"])


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = "about:blank"
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str
    instance: str = Field(description="The path of the request that failed")
    request_id: str | None = Field(default=None, description="Also in the X-Request-ID header")
    errors: list[FieldError] | None = Field(default=None, description="Validation errors only")


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_MEDIA_TYPE


def title_of(status: int) -> str:
    """The reason phrase of `status` (RFC 9457's title for `about:blank` problems)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    *,
    status: int,
    detail: str,
    instance: str,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    """The problem response for `status`, carrying the current request id."""
    problem = Problem(
        title=title_of(status),
        status=status,
        detail=detail,
        instance=instance,
        request_id=correlation_id.get(),
        errors=list(errors) if errors is not None else None,
    )
    return ProblemResponse(
        problem.model_dump(exclude_none=True), status_code=status, headers=headers
    )


def allowed_methods(request: Request) -> str:
    """Every method some route answers at the request's path, for a 405's `Allow` header.

    Starlette's own 405 names only the methods of the first route that matched the path, not
    those of the other routes at the same path (`GET /users` and `POST /users` are two routes).
    """
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


async def http_problem(request: Request, error: Exception) -> Response:
    """`HTTPException` (ours, and the router's 404 and 405) as a problem."""
    assert isinstance(error, HTTPException)  # noqa: S101 (registered for this type only)
    # Starlette types it `str`; FastAPI's subclass lets a route pass any JSON value.
    given: object = error.detail
    detail = given if isinstance(given, str) else title_of(error.status_code)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(
        status=error.status_code, detail=detail, instance=request.url.path, headers=headers
    )


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors without their `input` and `ctx`: both can hold what was submitted."""
    return [field_error(error) for error in errors]


def field_error(error: Any) -> FieldError:
    """One of pydantic's errors, named by the field it is about."""
    match error["loc"]:
        case ("body", int(offset)) if error["type"] == "json_invalid":
            # A body that is no JSON: FastAPI locates it at the character where parsing stopped.
            return FieldError(
                field="body", message=f"{error['msg']} at character {offset}", type=error["type"]
            )
    return FieldError(
        field=".".join(str(part) for part in error["loc"]), message=error["msg"], type=error["type"]
    )


async def validation_problem(request: Request, error: Exception) -> Response:
    """A 422 that names every invalid field and echoes none of their values."""
    assert isinstance(error, RequestValidationError)  # noqa: S101 (registered for this type only)
    errors = field_errors(error.errors())
    fields = ", ".join(dict.fromkeys(item.field for item in errors))
    return problem_response(
        status=422, detail=f"Invalid input: {fields}", instance=request.url.path, errors=errors
    )


def database_unavailable(error: Exception) -> bool:
    """Whether `error` says the database cannot serve now, rather than that the code is wrong.

    The pool had no free connection in time; or the driver lost or never got its connection
    (SQLAlchemy saw a disconnect, or the driver failed before the server said anything, so with
    no SQLSTATE: the async render's engine turns asyncpg's socket errors while it connects into
    such errors, see `db.py`); or the server answered with an unavailable SQLSTATE. A bare
    `OSError` stays a 500: code elsewhere raises those too.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is None:
        return error.connection_invalidated or isinstance(error, OperationalError)
    return str(sqlstate).startswith(UNAVAILABLE_SQLSTATES)


async def unavailable_problem(request: Request, error: Exception) -> Response:
    """A 503 with `Retry-After` while the database cannot serve; logged as one warning line.

    No trace: an outage fails every request alike, and the error's own words say which. Any other
    database error goes on, as raised, to `UnhandledErrorMiddleware`: a 500, logged with its trace.
    """
    if not database_unavailable(error):
        raise error
    logger.warning(
        "Database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(error).__name__,
        error,
    )
    return problem_response(
        status=503,
        detail=UNAVAILABLE_DETAIL,
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class UnhandledErrorMiddleware:
    """Answers an unhandled exception with a 500 problem and logs it once, with its trace.

    Starlette's `exception_handler(Exception)` runs outside every middleware and re-raises after
    answering: the server then logs the trace a second time, and the request id header (and any
    other middleware's headers) never reach the 500. This middleware sits inside all of them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Annotated: `make mutate`'s None-for-False mutant then fails mypy instead of surviving.
        started: bool = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception:
            if started:  # Too late for another answer: the server closes the connection.
                raise
            await answer_unhandled_error(scope, receive, send)


# The answers below are functions of their own, not inline in the middlewares: every request
# passes through the middlewares, but only failing ones reach these, so `make mutate` runs only
# the tests of failures against a mutant of an answer.


async def answer_unhandled_error(scope: Scope, receive: Receive, send: Send) -> None:
    """Log the exception being handled, once, with its trace; answer a 500 problem."""
    logger.exception(
        "Unhandled error on %s %s (request id %s)",
        scope["method"],
        scope["path"],
        correlation_id.get(),
    )
    response = problem_response(status=500, detail=SERVER_ERROR_DETAIL, instance=scope["path"])
    await response(scope, receive, send)


def is_problem(start: Message) -> bool:
    """Whether a response that starts with `start` is already a problem."""
    headers = dict(start.get("headers", []))
    return bool(headers.get(b"content-type", b"").startswith(PROBLEM_MEDIA_TYPE.encode()))


async def answer_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """The 413 problem, instead of the body limit's plain text."""
    response = problem_response(status=413, detail=TOO_LARGE_DETAIL, instance=scope["path"])
    await response(scope, receive, send)


class TooLargeAsProblem:
    """Gives Starlette's body limit's plain-text 413 the problem shape.

    The limit (`RequestBodyLimitMiddleware`, which this wraps) answers in plain text when the
    declared Content-Length alone is too large; a chunked body cut off while reading already gets
    a problem from the exception handlers. Starlette offers no hook for that response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced: bool = False  # annotated like `started` above

        async def send_as_problem(message: Message) -> None:
            nonlocal replaced
            if (
                message["type"] == "http.response.start"
                and message["status"] == 413
                and not is_problem(message)
            ):
                replaced = True
                await answer_too_large(scope, receive, send)
                return
            if not replaced:  # The plain-text body of a replaced answer is dropped.
                await send(message)

        await self.app(scope, receive, send_as_problem)


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Every error response in `openapi` as a problem; 401 where a token is needed; 500 on all.

    Any document shape FastAPI makes is accepted: one without parameters has no validation
    schemas, one without routes no paths (tests/unit/test_problems.py feeds such documents).
    """
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas |= problem.pop("$defs") | {"Problem": problem}
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "The body could not be parsed"})
            if operation.get("security"):
                responses.setdefault("401", {"description": "No valid bearer token"})
            responses.setdefault("500", {"description": "Unhandled error"})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}
    return openapi


def use_problem_details(app: FastAPI) -> None:
    """Answer every error of `app` as a problem, and say so in its OpenAPI document.

    Call it before adding any other middleware: the last added runs first, so the 500s of
    `UnhandledErrorMiddleware` then pass through every other middleware (request id included).
    """
    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(PoolTimeoutError, unavailable_problem)
    app.add_exception_handler(DBAPIError, unavailable_problem)
    app.add_middleware(UnhandledErrorMiddleware)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
