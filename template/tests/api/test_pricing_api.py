"""GET /api/v1/pricing/quote: public, validated, priced by the pricing rules."""

import pytest
from httpx import AsyncClient

QUOTE = "/api/v1/pricing/quote"


@pytest.mark.parametrize(
    ("plan", "seats", "unit_price", "total"),
    [
        pytest.param("pro", 9, "99.00", "891.00", id="below-discount"),
        pytest.param("pro", 10, "99.00", "891.00", id="at-discount"),
        pytest.param("enterprise", 11, "299.00", "2960.10", id="above-discount"),
    ],
)
async def test_quote_prices_the_seats(
    client: AsyncClient, plan: str, seats: int, unit_price: str, total: str
) -> None:
    response = await client.get(QUOTE, params={"plan": plan, "seats": seats})
    assert response.status_code == 200
    assert response.json() == {
        "plan": plan,
        "seats": seats,
        "unit_price": unit_price,
        "total": total,
    }


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"plan": "platinum", "seats": 1}, id="unknown-plan"),
        pytest.param({"plan": "pro", "seats": 0}, id="zero-seats"),
        pytest.param({"plan": "pro", "seats": "many"}, id="seats-not-a-number"),
        pytest.param({"seats": 1}, id="missing-plan"),
    ],
)
async def test_quote_rejects_bad_parameters(client: AsyncClient, params: dict[str, object]) -> None:
    response = await client.get(QUOTE, params=params)
    assert response.status_code == 422
