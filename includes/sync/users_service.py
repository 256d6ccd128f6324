"""User rules and data access (sync render). Routers call these; they never touch SQL.

Each `_function` is plain blocking SQLAlchemy; `function = in_threadpool(_function)` makes
it awaitable, so the routers are the same as in the async render. Assigned rather than
decorated: mutmut (`make mutate`) leaves decorated functions alone.
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


def _create_user(*, session: Session, data: UserCreate) -> User:
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


create_user = in_threadpool(_create_user)


def _get_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id, if any."""
    return session.get(User, user_id)


get_user = in_threadpool(_get_user)


def _list_users(*, session: Session, page: Page) -> list[User]:
    """Users, oldest first."""
    query = select(User).order_by(User.id).limit(page.limit).offset(page.offset)
    return list(session.scalars(query))


list_users = in_threadpool(_list_users)
{%- if use_auth %}


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def _get_user_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return _user_by_email(session, email)


get_user_by_email = in_threadpool(_get_user_by_email)


def _promote_to_admin(*, session: Session, email: str) -> User | None:
    """Make the user with this email an admin; None when there is no such user."""
    user = _user_by_email(session, email)
    if user is not None:
        user.is_admin = True
        session.commit()
    return user


promote_to_admin = in_threadpool(_promote_to_admin)
{%- endif %}
