"""Paging parameters shared by list endpoints."""

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from .limits import INT4_MAX


class Page(BaseModel):
    """`?limit=&offset=`: at most 100 rows at a time, from at most the 2**31-1st on."""

    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=INT4_MAX)


PageDep = Annotated[Page, Query()]
