"""Who is calling: `CurrentUser` for members, `AdminUser` for admins."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from ..db import SessionDep
from ..dependencies import SettingsDep
from ..limits import INT4_MAX
from ..logs import bind_user_id
from ..users import service as users_service
from ..users.models import User
from .security import InvalidTokenError, decode_access_token, user_id_of

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a path, not a password)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL)


def unauthorized(detail: str, headers: Mapping[str, str] | None = None) -> HTTPException:
    """A 401 that tells the client to send a bearer token (and any other `headers`)."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail,
        headers={**(headers or {}), "WWW-Authenticate": "Bearer"},
    )


async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep, settings: SettingsDep
) -> User:
    """The user the bearer token was issued to; 401 for any bad or stale token."""
    try:
        subject = decode_access_token(token, secret_key=settings.secret_key.get_secret_value())
    except InvalidTokenError:
        raise unauthorized("Could not validate credentials") from None
    user_id = user_id_of(subject, largest=INT4_MAX)
    user = await users_service.get_user(session=session, user_id=user_id) if user_id else None
    if user is None:
        raise unauthorized("Could not validate credentials")
    bind_user_id(user.id)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    """The caller, if an admin; 403 otherwise."""
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Admins only")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


def may_read(user: User, *, owner_id: int) -> bool:
    """The one authorization rule: you read what you own; admins read everything."""
    return user.is_admin or user.id == owner_id
