"""User rules and data access (sync render). Routers call these; they never touch SQL.

Each function is plain blocking SQLAlchemy; `in_threadpool` makes it awaitable, so the
routers are the same as in the async render.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
{% if use_auth %}
from ..auth.security import hash_password
{%- endif %}
from ..db import in_threadpool
from ..pagination import Page
from .models import User
from .schemas import UserCreate


class EmailAlreadyRegisteredError(Exception):
    """Another user has this email (compared case-insensitively)."""


@in_threadpool
def create_user(*, session: Session, data: UserCreate) -> User:
    """Insert a user; the unique index, not a prior SELECT, decides races."""
{%- if use_auth %}
    user = User(
        email=data.email, full_name=data.full_name, hashed_password=hash_password(data.password)
    )
{%- else %}
    user = User(email=data.email, full_name=data.full_name)
{%- endif %}
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise EmailAlreadyRegisteredError(data.email) from error
    return user


@in_threadpool
def get_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id, if any."""
    return session.get(User, user_id)


@in_threadpool
def list_users(*, session: Session, page: Page) -> list[User]:
    """Users, oldest first."""
    query = select(User).order_by(User.id).limit(page.limit).offset(page.offset)
    return list(session.scalars(query))
{%- if use_auth %}


def _get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


@in_threadpool
def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return _get_user_by_email(session, email)


@in_threadpool
def promote_to_admin(*, session: Session, email: str) -> User | None:
    """Make the user with this email an admin; None when there is no such user."""
    user = _get_user_by_email(session, email)
    if user is not None:
        user.is_admin = True
        session.commit()
    return user
{%- endif %}
