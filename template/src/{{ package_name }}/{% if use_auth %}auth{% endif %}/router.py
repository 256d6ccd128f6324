"""The OAuth2 password flow: trade an email and password for a bearer token."""

from datetime import timedelta

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from ..db import SessionDep
from ..dependencies import SettingsDep
from ..users import service as users_service
from .dependencies import unauthorized
from .rate_limit import TOO_MANY_ATTEMPTS, LoginAttemptDep
from .schemas import Token
from .security import create_access_token, verify_password_or_decoy

router = APIRouter(prefix="/auth", tags=["auth"])
# One message for an unknown email and a wrong password: the response must not reveal which.
BAD_CREDENTIALS = "Incorrect email or password"


@router.post(
    "/token",
    responses={
        status.HTTP_401_UNAUTHORIZED: {"description": BAD_CREDENTIALS},
        status.HTTP_429_TOO_MANY_REQUESTS: {"description": TOO_MANY_ATTEMPTS},
    },
)
async def issue_token(
    attempt: LoginAttemptDep, session: SessionDep, settings: SettingsDep
) -> Token:
    """Log in (public): the form's `username` is the email. Failed logins are rate limited."""
    form = attempt.form
    user = await users_service.get_user_by_email(session=session, email=form.username)
    hashed_password = user.hashed_password if user else None
    if user is None or not await run_in_threadpool(
        verify_password_or_decoy, form.password, hashed_password
    ):
        # The tries left go with the 401 too: the failure is the answer that spends one.
        raise unauthorized(BAD_CREDENTIALS, headers=await attempt.failed())
    token = create_access_token(
        subject=str(user.id),
        secret_key=settings.secret_key.get_secret_value(),
        expires_in=timedelta(minutes=settings.access_token_expire_minutes),
    )
    return Token(access_token=token)
