"""Limit/offset pagination of every list endpoint: at most MAX_PAGE_SIZE items a page.

The count is capped as the console's view counts are (decision 0001): counting a million cases on
every page would cost more than the page itself, so ``count`` stops at COUNT_CAP and
``count_is_capped`` says there are more. A client pages until a page comes back short.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The console shows "999+" past this; the API says count=999, count_is_capped=true.
COUNT_CAP = 999
# Deeper than this an offset is a mistake (and offset + limit must stay a 64-bit integer).
MAX_OFFSET = 10**9


class LimitOffset(PaginationBase):
    """``?limit=25&offset=0``; a limit above MAX_PAGE_SIZE is invalid input (422)."""

    class Input(Schema):
        limit: int = Field(
            DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page, at most 100."
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description=f"How many items there are, counted up to {COUNT_CAP}.")
        count_is_capped: bool = Field(..., description=f"True when there are more than {COUNT_CAP}.")
        limit: int
        offset: int

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, pagination.limit
        # A bounded count: the database stops after COUNT_CAP + 1 rows.
        counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        return {
            "items": queryset[offset : offset + limit],
            "count": min(counted, COUNT_CAP),
            "count_is_capped": counted > COUNT_CAP,
            "limit": limit,
            "offset": offset,
        }
