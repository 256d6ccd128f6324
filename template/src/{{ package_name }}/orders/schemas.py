"""Order request and response shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..limits import NO_NUL
from .models import QTY_MAX, QTY_MIN

ItemName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]


class OrderCreate(BaseModel):
    """A new order."""

    item: ItemName
    qty: int = Field(ge=QTY_MIN, le=QTY_MAX)


class OrderPublic(BaseModel):
    """An order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    item: str
    qty: int
    created_at: datetime
