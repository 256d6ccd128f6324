"""The OAuth2 password flow: trade an email and password for a bearer token."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool

from ..db import SessionDep
from ..dependencies import SettingsDep
from ..users import service as users_service
from .dependencies import unauthorized
from .schemas import LoginForm, Token
from .security import create_access_token, verify_password_or_decoy

router = APIRouter(prefix="/auth", tags=["auth"])
# One message for an unknown email and a wrong password: the response must not reveal which.
BAD_CREDENTIALS = "Incorrect email or password"


@router.post("/token", responses={401: {"description": BAD_CREDENTIALS}})
async def issue_token(
    form: Annotated[LoginForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Log in (public): the form's `username` is the email."""
    user = await users_service.get_user_by_email(session=session, email=form.username)
    hashed_password = user.hashed_password if user else None
    if user is None or not await run_in_threadpool(
        verify_password_or_decoy, form.password, hashed_password
    ):
        raise unauthorized(BAD_CREDENTIALS)
    token = create_access_token(
        subject=str(user.id),
        secret_key=settings.secret_key.get_secret_value(),
        expires_in=timedelta(minutes=settings.access_token_expire_minutes),
    )
    return Token(access_token=token)
