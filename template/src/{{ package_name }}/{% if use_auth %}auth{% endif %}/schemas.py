"""The OAuth2 password flow's shapes: the login form, bounded, and the token."""

from typing import Literal

from pydantic import BaseModel, Field

from ..limits import StorableText
from ..users.schemas import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH


class LoginForm(BaseModel):
    """`POST /auth/token`'s form fields; `username` is the email. Other fields are ignored."""

    username: StorableText = Field(max_length=EMAIL_MAX_LENGTH)
    password: StorableText = Field(max_length=PASSWORD_MAX_LENGTH)


class Token(BaseModel):
    """What `POST /auth/token` returns."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
