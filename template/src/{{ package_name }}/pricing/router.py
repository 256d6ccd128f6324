"""Public price quotes."""

from typing import Annotated

from fastapi import APIRouter, Query

from .schemas import SEATS_MAX, Plan, QuotePublic
from .service import quote_total, unit_price

router = APIRouter(prefix="/pricing", tags=["pricing"])


@router.get("/quote")
async def quote(plan: Plan, seats: Annotated[int, Query(ge=1, le=SEATS_MAX)]) -> QuotePublic:
    """What `seats` seats on `plan` cost."""
    return QuotePublic(
        plan=plan,
        seats=seats,
        unit_price=unit_price(plan=plan),
        total=quote_total(plan=plan, seats=seats),
    )
