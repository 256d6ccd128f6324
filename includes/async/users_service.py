"""User rules and data access (async render). Routers call these; they never touch SQL."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
{%- if use_auth %}
from starlette.concurrency import run_in_threadpool
{%- endif %}

{% if use_auth -%}
from ..auth.security import hash_password
{% endif -%}
from ..pagination import Page
from .models import User
from .schemas import UserCreate


class EmailAlreadyRegisteredError(Exception):
    """Another user has this email (compared case-insensitively)."""


async def create_user(*, session: AsyncSession, data: UserCreate) -> User:
    """Insert a user; the unique index, not a prior SELECT, decides races."""
{%- if use_auth %}
    # Argon2 is deliberately slow: hash off the event loop.
    hashed_password = await run_in_threadpool(hash_password, data.password)
    user = User(email=data.email, full_name=data.full_name, hashed_password=hashed_password)
{%- else %}
    user = User(email=data.email, full_name=data.full_name)
{%- endif %}
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise EmailAlreadyRegisteredError(data.email) from error
    return user


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    """The user with this id, if any."""
    return await session.get(User, user_id)


async def list_users(*, session: AsyncSession, page: Page) -> list[User]:
    """Users, oldest first."""
    query = select(User).order_by(User.id).limit(page.limit).offset(page.offset)
    return list(await session.scalars(query))
{%- if use_auth %}


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return await session.scalar(select(User).where(User.email == email.lower()))


async def promote_to_admin(*, session: AsyncSession, email: str) -> User | None:
    """Make the user with this email an admin; None when there is no such user."""
    user = await get_user_by_email(session=session, email=email)
    if user is not None:
        user.is_admin = True
        await session.commit()
    return user
{%- endif %}
