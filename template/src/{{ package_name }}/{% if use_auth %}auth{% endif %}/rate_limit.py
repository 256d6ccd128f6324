"""Login rate limiting with the `limits` library: failed logins per client address and per account.

Only failures count, so a user who types the password right is never slowed down; a guesser
gets 429 with `Retry-After` once either window is full. Counters live in the storage named by
`RATE_LIMIT_STORAGE_URI`: `memory://` (the default) is per process, so with several workers or
instances use `redis://host:6379` (after `uv add 'limits[async-redis]'`), shared by all.
"""

import math
import time
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Form, HTTPException, Request, Response, status
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from ..config import Settings
from .schemas import LoginForm

TOO_MANY_ATTEMPTS = "Too many failed logins: try again later"


def async_storage_uri(uri: str) -> str:
    """`limits` names its asyncio storages `async+<scheme>://`; users write the plain URI."""
    return uri if uri.startswith("async+") else f"async+{uri}"


@dataclass(frozen=True)
class LoginRateLimiter:
    """The app's login limits and their storage (one per app, so tests never share counters)."""

    limiter: MovingWindowRateLimiter
    per_address: RateLimitItem
    per_account: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginRateLimiter":
        """Limits and storage from the settings (the storage connects lazily)."""
        storage = storage_from_string(async_storage_uri(settings.rate_limit_storage_uri))
        return cls(
            limiter=MovingWindowRateLimiter(storage),
            per_address=parse(settings.login_rate_limit_per_address),
            per_account=parse(settings.login_rate_limit_per_account),
        )

    def _windows(self, attempt: "LoginAttempt") -> list[tuple[RateLimitItem, str]]:
        return [(self.per_address, attempt.address), (self.per_account, attempt.account)]

    async def headers(self, attempt: "LoginAttempt") -> dict[str, str]:
        """The tightest window's `RateLimit-*` headers, as the IETF RateLimit draft spells them."""
        windows = []  # (remaining, limit, seconds until the window frees a try)
        for item, key in self._windows(attempt):
            stats = await self.limiter.get_window_stats(item, "login", key)
            reset = max(1, math.ceil(stats.reset_time - time.time()))
            windows.append((stats.remaining, item.amount, reset))
        remaining, limit, reset = min(windows)
        return {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    async def check(self, attempt: "LoginAttempt", response: Response) -> None:
        """Raise 429 when a window is full; else tell the client how many tries are left."""
        headers = await self.headers(attempt)
        if int(headers["RateLimit-Remaining"]) <= 0:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                TOO_MANY_ATTEMPTS,
                headers={**headers, "Retry-After": headers["RateLimit-Reset"]},
            )
        response.headers.update(headers)

    async def record_failure(self, attempt: "LoginAttempt") -> None:
        """Count one failed login against the address and the account."""
        for item, key in self._windows(attempt):
            await self.limiter.hit(item, "login", key)


@dataclass(frozen=True)
class LoginAttempt:
    """Who is trying to log in: the client address, the account they name, and their form."""

    address: str
    account: str
    limiter: LoginRateLimiter
    form: LoginForm

    async def failed(self) -> dict[str, str]:
        """Count this attempt as a failure; the `RateLimit-*` headers the 401 carries."""
        await self.limiter.record_failure(self)
        return await self.limiter.headers(self)


async def get_login_rate_limiter(request: Request) -> LoginRateLimiter:
    """The app's limiter, made by its lifespan. A dependency, so a test can give itself a fresh one.

    `async` for the reason `get_app_settings` gives.
    """
    return cast(LoginRateLimiter, request.state.login_rate_limiter)


async def rate_limited_login(
    form: Annotated[LoginForm, Form()],
    request: Request,
    response: Response,
    limiter: Annotated[LoginRateLimiter, Depends(get_login_rate_limiter)],
) -> LoginAttempt:
    """The login attempt, once its windows are known not to be full (429 otherwise)."""
    attempt = LoginAttempt(
        address=request.client.host if request.client else "unknown",
        account=form.username.strip().lower(),
        limiter=limiter,
        form=form,
    )
    await limiter.check(attempt, response)
    return attempt


LoginAttemptDep = Annotated[LoginAttempt, Depends(rate_limited_login)]
