"""Order rules and data access (async render). Routers call these; they never touch SQL."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..pagination import Page
from ..pricing.service import quote_total, unit_price
from .models import Order
from .schemas import OrderCreate


{% include "includes/orders_priced.py" %}{%- if use_auth %}


async def create_order(*, session: AsyncSession, data: OrderCreate, owner_id: int) -> Order:
    """Place an order for `owner_id`, priced now as the pricing quote says."""
    order = Order(**priced(data), owner_id=owner_id)
    session.add(order)
    await session.commit()
    return order


async def get_order(*, session: AsyncSession, order_id: int) -> Order | None:
    """The order with this id, if any; the router decides who may read it."""
    return await session.get(Order, order_id)


async def list_orders(*, session: AsyncSession, owner_id: int, page: Page) -> list[Order]:
    """The orders of `owner_id`, oldest first."""
    query = (
        select(Order)
        .where(Order.owner_id == owner_id)
        .order_by(Order.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(await session.scalars(query))
{%- else %}


async def create_order(*, session: AsyncSession, data: OrderCreate) -> Order:
    """Place an order, priced now as the pricing quote says."""
    order = Order(**priced(data))
    session.add(order)
    await session.commit()
    return order


async def get_order(*, session: AsyncSession, order_id: int) -> Order | None:
    """The order with this id, if any."""
    return await session.get(Order, order_id)


async def list_orders(*, session: AsyncSession, page: Page) -> list[Order]:
    """Orders, oldest first."""
    query = select(Order).order_by(Order.id).limit(page.limit).offset(page.offset)
    return list(await session.scalars(query))
{%- endif %}
