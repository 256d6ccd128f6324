"""Bounds every input must fit: what the PostgreSQL columns and the code can hold.

An input past these is a 422 naming the field; it never reaches the database driver, which
would refuse it with an error (a 500) instead.
"""

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

# PostgreSQL `integer`, the type of every id column: larger numbers overflow in the driver.
INT4_MAX = 2**31 - 1
# PostgreSQL text cannot hold NUL. A pattern, not a check in code, so the OpenAPI schema says it.
NO_NUL = r"^[^\x00]*$"


def storable(value: str) -> str:
    """`value`, if it encodes to UTF-8: PostgreSQL refuses text with unpaired surrogates."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


# Put it after any other string constraints: pydantic drops constraints that follow a validator.
Storable = AfterValidator(storable)
StorableText = Annotated[str, StringConstraints(pattern=NO_NUL), Storable]
RowId = Annotated[int, Path(ge=1, le=INT4_MAX)]
