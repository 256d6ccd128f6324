"""Order rules and data access (sync render). Routers call these; they never touch SQL.

Each `_function` is plain blocking SQLAlchemy; `function = in_threadpool(_function)` makes
it awaitable, so the routers are the same as in the async render. Assigned rather than
decorated: mutmut (`make mutate`) leaves decorated functions alone.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import in_threadpool
from ..pagination import Page
from ..pricing.service import quote_total, unit_price
from .models import Order
from .schemas import OrderCreate


{% include "includes/orders_priced.py" %}{%- if use_auth %}


def _create_order(*, session: Session, data: OrderCreate, owner_id: int) -> Order:
    """Place an order for `owner_id`, priced now as the pricing quote says."""
    order = Order(**priced(data), owner_id=owner_id)
    session.add(order)
    session.commit()
    return order


create_order = in_threadpool(_create_order)


def _get_order(*, session: Session, order_id: int) -> Order | None:
    """The order with this id, if any; the router decides who may read it."""
    return session.get(Order, order_id)


get_order = in_threadpool(_get_order)


def _list_orders(*, session: Session, owner_id: int, page: Page) -> list[Order]:
    """The orders of `owner_id`, oldest first."""
    query = (
        select(Order)
        .where(Order.owner_id == owner_id)
        .order_by(Order.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(session.scalars(query))


list_orders = in_threadpool(_list_orders)
{%- else %}


def _create_order(*, session: Session, data: OrderCreate) -> Order:
    """Place an order, priced now as the pricing quote says."""
    order = Order(**priced(data))
    session.add(order)
    session.commit()
    return order


create_order = in_threadpool(_create_order)


def _get_order(*, session: Session, order_id: int) -> Order | None:
    """The order with this id, if any."""
    return session.get(Order, order_id)


get_order = in_threadpool(_get_order)


def _list_orders(*, session: Session, page: Page) -> list[Order]:
    """Orders, oldest first."""
    query = select(Order).order_by(Order.id).limit(page.limit).offset(page.offset)
    return list(session.scalars(query))


list_orders = in_threadpool(_list_orders)
{%- endif %}
