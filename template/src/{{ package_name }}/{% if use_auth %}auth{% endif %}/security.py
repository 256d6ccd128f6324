"""Password hashing and access tokens: pure functions, unit-tested without I/O."""

import os
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"
# A token's subject is a user id in ASCII digits: `\d` and `str.isdigit` take other scripts' too.
# Ten digits at most: int() refuses strings past 4300 digits (a ValueError, a 500).
USER_ID_SUBJECT = re.compile(r"[1-9][0-9]{0,9}")
# Argon2id cost, tunable per deployment. The defaults are pwdlib's recommendation (64 MiB, 3
# passes); the test suite lowers them so its hundreds of hashes take milliseconds. A hash keeps
# its own parameters, so hashes made at any cost still verify.
_password_hash = PasswordHash(
    (
        Argon2Hasher(
            memory_cost=int(os.environ.get("ARGON2_MEMORY_KIB", "65536")),
            time_cost=int(os.environ.get("ARGON2_PASSES", "3")),
        ),
    )
)


class InvalidTokenError(Exception):
    """The token is missing a subject, malformed, expired or signed with another key."""


def hash_password(password: str) -> str:
    """A salted argon2 hash of `password`."""
    return _password_hash.hash(password)


def verify_password(password: str, hashed_password: str) -> bool:
    """True when `password` matches `hashed_password`."""
    return _password_hash.verify(password, hashed_password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy password, never valid")


def verify_password_or_decoy(password: str, hashed_password: str | None) -> bool:
    """Like `verify_password`, but an unknown user costs the same time as a wrong password."""
    if hashed_password is None:
        verify_password(password, _decoy_hash())
        return False
    return verify_password(password, hashed_password)


def create_access_token(
    *, subject: str, secret_key: str, expires_in: timedelta, now: datetime | None = None
) -> str:
    """A signed JWT for `subject` that expires `expires_in` after `now`."""
    issued_at = now or datetime.now(UTC)
    claims = {"sub": subject, "iat": issued_at, "exp": issued_at + expires_in}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret_key: str) -> str:
    """The subject of a valid token; raises `InvalidTokenError` otherwise."""
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from error
    return str(claims["sub"])


def user_id_of(subject: str, *, largest: int) -> int | None:
    """The user id a token's subject names, or None when it names none up to `largest`.

    Only a holder of the secret key can sign a subject, but a 500 from a forged or stale one
    (a number past the id column's range reaches the driver) is still a 500.
    """
    if USER_ID_SUBJECT.fullmatch(subject) is None:
        return None
    user_id = int(subject)
    return user_id if user_id <= largest else None
