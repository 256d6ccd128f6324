"""Bounds every input must fit: what the PostgreSQL columns and the code can hold.

An input past these is a 422 naming the field; it never reaches the database driver, which
would refuse it with an error (a 500) instead.
"""

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

# PostgreSQL `integer`, the type of every id column: larger numbers overflow in the driver.
INT4_MAX = 2**31 - 1


def storable(value: str) -> str:
    """`value`, if PostgreSQL can store it: text columns refuse NUL, and UTF-8 lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


# Put constraints before it (`Annotated[str, StringConstraints(...), Storable]`): pydantic drops
# string constraints that come after a validator.
Storable = AfterValidator(storable)
StorableText = Annotated[str, Storable]
RowId = Annotated[int, Path(ge=1, le=INT4_MAX)]
