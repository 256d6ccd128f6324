"""Paging parameters shared by list endpoints."""

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field


class Page(BaseModel):
    """`?limit=&offset=`: at most 100 rows at a time."""

    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


PageDep = Annotated[Page, Query()]
