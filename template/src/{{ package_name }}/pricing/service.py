"""Pricing rules: a pure function, no I/O."""

from decimal import ROUND_HALF_UP, Decimal

from .schemas import Plan

PRICE_PER_SEAT = {
    Plan.STARTER: Decimal("49"),
    Plan.PRO: Decimal("99"),
    Plan.ENTERPRISE: Decimal("299"),
}
VOLUME_DISCOUNT_MIN_SEATS = 10
VOLUME_DISCOUNT_RATE = Decimal("0.10")
CENT = Decimal("0.01")


def quote_total(*, plan: Plan, seats: int) -> Decimal:
    """Price of `seats` seats on `plan`: 10% off the whole from 10 seats, rounded to cents."""
    if seats < 1:
        raise ValueError("seats must be at least 1")
    total = PRICE_PER_SEAT[plan] * seats
    if seats >= VOLUME_DISCOUNT_MIN_SEATS:
        total -= total * VOLUME_DISCOUNT_RATE
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
