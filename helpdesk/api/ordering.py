"""Ordering that is always total, so equal values never swap places between requests."""

from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """Order as asked, then by id in the same direction as the first field."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        fields = [f.lstrip("-") for f in ordering]
        if "id" in fields or "pk" in fields:
            return ordering
        return [*ordering, "-id" if ordering[0].startswith("-") else "id"]
