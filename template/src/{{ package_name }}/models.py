"""Every model imported in one place, so Alembic and the tests see the whole schema."""

from .base import Base
from .orders.models import Order
from .users.models import User

__all__ = ["Base", "Order", "User"]
