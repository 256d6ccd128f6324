"""Bounds every input must fit: what the PostgreSQL columns and the code can hold.

An input past these is a 422 naming the field; it never reaches the database driver, which
would refuse it with an error (a 500) instead. (Text with unpaired surrogates, which PostgreSQL
refuses too, never gets this far: the JSON parser rejects it.)
"""

from typing import Annotated

from fastapi import Path
from pydantic import StringConstraints

# PostgreSQL `integer`, the type of every id column: larger numbers overflow in the driver.
INT4_MAX = 2**31 - 1
# PostgreSQL text cannot hold NUL. A pattern, not a check in code, so the OpenAPI schema says it.
NO_NUL = r"^[^\x00]*$"

StorableText = Annotated[str, StringConstraints(pattern=NO_NUL)]
RowId = Annotated[int, Path(ge=1, le=INT4_MAX)]
