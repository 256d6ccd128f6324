"""Token response shape (the OAuth2 password flow's)."""

from typing import Literal

from pydantic import BaseModel


class Token(BaseModel):
    """What `POST /auth/token` returns."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
