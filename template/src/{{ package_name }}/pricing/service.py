"""Pricing rules: a pure function, no I/O."""

from decimal import ROUND_HALF_UP, Decimal

from .schemas import Plan

PRICE_PER_SEAT = {
    Plan.STARTER: Decimal("49.00"),
    Plan.PRO: Decimal("99.00"),
    Plan.ENTERPRISE: Decimal("299.00"),
}
VOLUME_DISCOUNT_MIN_SEATS = 10
VOLUME_DISCOUNT_RATE = Decimal("0.10")
CENT = Decimal("0.01")


def unit_price(*, plan: Plan) -> Decimal:
    """List price of one seat on `plan`, before any discount."""
    return PRICE_PER_SEAT[plan]


def quote_total(*, plan: Plan, seats: int) -> Decimal:
    """Price of `seats` seats on `plan`: 10% off the whole from 10 seats, rounded to cents."""
    if seats < 1:
        raise ValueError("seats must be at least 1")
    total = unit_price(plan=plan) * seats
    if seats >= VOLUME_DISCOUNT_MIN_SEATS:
        total -= total * VOLUME_DISCOUNT_RATE
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
