"""The HTTP stack where users meet it: security headers, the body limit, CORS and request ids."""

import re
from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.api.conftest import serve
from tests.api.routes import api_routes
from tests.factories import user_payload

SIGNUP = "/api/v1/users"
ORDERS = "/api/v1/orders"
ORIGIN = "https://app.example.com"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def preflight(origin: str) -> dict[str, str]:
    """What a browser sends before a cross-origin GET with a bearer token."""
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }


async def test_a_404_carries_the_security_headers(client: AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    # Not configured for TLS: no HSTS, which browsers would remember.
    assert "Strict-Transport-Security" not in response.headers


async def test_hsts_is_sent_once_configured(app_with: Callable[..., FastAPI]) -> None:
    async with serve(app_with(hsts_max_age_seconds=31_536_000)) as client:
        response = await client.get("/health/live")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_a_signup_over_the_default_limit_of_1_mib_gets_413(client: AsyncClient) -> None:
    payload = user_payload() | {"full_name": "x" * (1024 * 1024)}
    response = await client.post(SIGNUP, json=payload)
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


async def test_a_chunked_signup_is_cut_off_at_the_limit_and_never_read_past_it(
    app_with: Callable[..., FastAPI],
) -> None:
    chunk_size, limit = 16 * 1024, 64 * 1024
    chunks_read = 0

    async def endless_body() -> AsyncIterator[bytes]:
        # No Content-Length: httpx sends it chunked, as a streaming client would.
        nonlocal chunks_read
        yield b'{"email": "big@example.com", "full_name": "'
        for _ in range(1000):
            chunks_read += 1
            yield b"x" * chunk_size

    async with serve(app_with(max_request_body_bytes=limit)) as client:
        response = await client.post(
            SIGNUP, content=endless_body(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert chunks_read <= limit // chunk_size + 1


async def test_a_signup_under_a_lowered_limit_still_succeeds(
    app_with: Callable[..., FastAPI],
) -> None:
    async with serve(app_with(max_request_body_bytes=1024)) as client:
        response = await client.post(SIGNUP, json=user_payload())
    assert response.status_code == 201


async def test_an_invalid_signup_under_the_limit_is_a_422_problem_not_a_413(
    app_with: Callable[..., FastAPI],
) -> None:
    # A freshly built app: its exception handlers are registered in this test, not a fixture's.
    async with serve(app_with(max_request_body_bytes=1024)) as client:
        response = await client.post(SIGNUP, json=user_payload() | {"email": "not-an-email"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid input: body.email"


async def test_without_configured_origins_no_cors_headers_are_sent(client: AsyncClient) -> None:
    response = await client.options(ORDERS, headers=preflight(ORIGIN))
    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_from_an_allowed_origin_succeeds_without_a_token(
    app_with: Callable[..., FastAPI],
) -> None:
    async with serve(app_with(cors_allow_origins=(ORIGIN,))) as client:
        response = await client.options(ORDERS, headers=preflight(ORIGIN))
    # Never 401: a browser sends no token with a preflight.
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_preflight_for_a_method_no_route_answers_is_refused(
    app_with: Callable[..., FastAPI],
) -> None:
    async with serve(app_with(cors_allow_origins=(ORIGIN,))) as client:
        response = await client.options(
            ORDERS, headers=preflight(ORIGIN) | {"Access-Control-Request-Method": "DELETE"}
        )
    assert response.status_code == 400
    assert "DELETE" not in response.headers.get("access-control-allow-methods", "")


async def test_a_preflight_allows_exactly_the_methods_the_routes_answer(
    app_with: Callable[..., FastAPI],
) -> None:
    app = app_with(cors_allow_origins=(ORIGIN,))
    answered = {method for method, _path in api_routes(app)} - {"HEAD", "OPTIONS"}
    async with serve(app) as client:
        response = await client.options(ORDERS, headers=preflight(ORIGIN))
    allowed = set(response.headers["access-control-allow-methods"].split(", "))
    assert allowed == answered, "a route answers a new method: add it to main.py's CORS_METHODS"


async def test_a_preflight_from_another_origin_gets_no_cors_headers(
    app_with: Callable[..., FastAPI],
) -> None:
    async with serve(app_with(cors_allow_origins=(ORIGIN,))) as client:
        response = await client.options(ORDERS, headers=preflight("https://evil.example"))
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_may_read_the_answer_and_its_request_id(
    app_with: Callable[..., FastAPI],
) -> None:
    async with serve(app_with(cors_allow_origins=(ORIGIN,))) as client:
        response = await client.get(ORDERS, headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_every_response_carries_its_own_request_id_errors_included(
    client: AsyncClient,
) -> None:
    responses = [
        await client.get("/health/live"),
        await client.get("/no/such/page"),
        await client.post(SIGNUP, json={}),
    ]
    assert [response.status_code for response in responses] == [200, 404, 422]
    ids = [response.headers["X-Request-ID"] for response in responses]
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "request_id",
    [
        pytest.param("0b9c4f4e-58d5-4b5e-9a54-2a7f4c1f0e11", id="uuid"),
        pytest.param("lb-7:1700000000.123", id="load-balancer-id"),
    ],
)
async def test_a_well_formed_request_id_is_kept(client: AsyncClient, request_id: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    [
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param('{"forged": "json"}', id="forged-json"),
    ],
)
async def test_a_malformed_request_id_is_replaced(client: AsyncClient, request_id: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": request_id})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])
