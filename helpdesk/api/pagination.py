"""Pagination: cursors for lists, and `after`-id pages for append-only logs."""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts and cheap at any depth of a large table."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def decode_cursor(self, request):
        # A damaged cursor is bad input (400), not a missing page (404).
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None


class AfterIdPagination(BasePagination):
    """Pages over a log in id order: `after` is the last id the client has seen.

    A client that keeps the last id it saw can always resume without gaps or repeats,
    because ids only grow and rows are never removed.
    """

    default_limit = 100
    max_limit = 500

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.after = self._whole(request, "after", default=0, low=0, high=None)
        limit = self._whole(request, "limit", default=self.default_limit, low=1, high=self.max_limit)
        if self.after:
            queryset = queryset.filter(id__gt=self.after)
        rows = list(queryset.order_by("id")[: limit + 1])
        self.has_more = len(rows) > limit
        self.rows = rows[:limit]
        return self.rows

    def get_paginated_response(self, data):
        last_id = self.rows[-1].pk if self.rows else self.after
        next_url = None
        if self.has_more:
            next_url = replace_query_param(self.request.build_absolute_uri(), "after", last_id)
        return Response({"next": next_url, "last_id": last_id, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "last_id", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True,
                         "description": "The next page, or null when this page is the last."},
                "last_id": {"type": "integer", "description": "Pass as `after` to get what follows."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "after", "required": False, "in": "query",
             "description": "Only rows with an id greater than this.", "schema": {"type": "integer", "minimum": 0}},
            {"name": "limit", "required": False, "in": "query",
             "description": f"Rows per page (default {self.default_limit}, at most {self.max_limit}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit}},
        ]

    @staticmethod
    def _whole(request, name: str, *, default: int, low: int, high: int | None) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            bound = f" between {low} and {high}" if high is not None else f" of at least {low}"
            raise ValidationError({name: [f"Expected a whole number{bound}."]})
        return int(raw)
