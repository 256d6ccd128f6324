"""Order rules and data access (sync render). Routers call these; they never touch SQL.

Each function is plain blocking SQLAlchemy; `in_threadpool` makes it awaitable, so the
routers are the same as in the async render.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import in_threadpool
from ..pagination import Page
from .models import Order
from .schemas import OrderCreate
{%- if use_auth %}


@in_threadpool
def create_order(*, session: Session, data: OrderCreate, owner_id: int) -> Order:
    """Place an order for `owner_id`."""
    order = Order(item=data.item, qty=data.qty, owner_id=owner_id)
    session.add(order)
    session.commit()
    return order


@in_threadpool
def get_order(*, session: Session, order_id: int) -> Order | None:
    """The order with this id, if any; the router decides who may read it."""
    return session.get(Order, order_id)


@in_threadpool
def list_orders(*, session: Session, owner_id: int, page: Page) -> list[Order]:
    """The orders of `owner_id`, oldest first."""
    query = (
        select(Order)
        .where(Order.owner_id == owner_id)
        .order_by(Order.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(session.scalars(query))
{%- else %}


@in_threadpool
def create_order(*, session: Session, data: OrderCreate) -> Order:
    """Place an order."""
    order = Order(item=data.item, qty=data.qty)
    session.add(order)
    session.commit()
    return order


@in_threadpool
def get_order(*, session: Session, order_id: int) -> Order | None:
    """The order with this id, if any."""
    return session.get(Order, order_id)


@in_threadpool
def list_orders(*, session: Session, page: Page) -> list[Order]:
    """Orders, oldest first."""
    query = select(Order).order_by(Order.id).limit(page.limit).offset(page.offset)
    return list(session.scalars(query))
{%- endif %}
