"""Order request and response shapes."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ..pricing.schemas import Plan
from .models import QTY_MAX, QTY_MIN


class OrderCreate(BaseModel):
    """A new order: `qty` seats of the plan `item`; the service prices it."""

    item: Plan
    qty: int = Field(ge=QTY_MIN, le=QTY_MAX)


class OrderPublic(BaseModel):
    """An order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    # A plain string: orders placed before items were plans keep their free-text item.
    item: str
    qty: int
    # Decimal strings with two places, as the pricing quote said when the order was placed;
    # null only on orders older than price recording.
    unit_price: Decimal | None
    total: Decimal | None
    created_at: datetime
