"""Reads for the product feedback pages and API: items and the monthly report."""

from __future__ import annotations

from datetime import datetime, timezone

from django.conf import settings
from django.db.models import Count, QuerySet

from feedback.models import FeedbackItem, FeedbackRequest
from helpdesk.errors import NotFound
from tickets.models import team_ids


def may_read_feedback(user) -> bool:
    """Managers, admins and the product team read feedback."""
    from workflows.models import Team

    if not getattr(user, "is_authenticated", False) or not user.is_staff_member:
        return False
    if user.is_manager_role:
        return True
    team = Team.objects.filter(slug=settings.HELPDESK_FEEDBACK_TEAM).first()
    return team is not None and team.pk in team_ids(user)


def feedback_items(user) -> QuerySet[FeedbackItem]:
    if not may_read_feedback(user):
        raise NotFound("No such page.")
    return FeedbackItem.objects.select_related("product").annotate(asked=Count("requests"))


def feedback_item_get(user, pk: int) -> FeedbackItem:
    try:
        return feedback_items(user).get(pk=pk)
    except FeedbackItem.DoesNotExist:
        raise NotFound("No such feedback.") from None


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Return the UTC start and end of a month written `YYYY-MM`; ValueError when malformed."""
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=timezone.utc)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=timezone.utc)
    return start, end


def monthly_report(user, *, month: str) -> dict:
    """Return the month's feedback requests counted by product and by theme, with their cases."""
    if not may_read_feedback(user):
        raise NotFound("No such page.")
    start, end = month_bounds(month)
    requests = (FeedbackRequest.objects.filter(created_at__gte=start, created_at__lt=end)
                .select_related("product", "case", "item").order_by("product__name", "theme", "id"))
    groups: dict[tuple, dict] = {}
    by_product: dict[str, int] = {}
    by_theme: dict[str, int] = {}
    for r in requests:
        product = r.product.name if r.product_id else "(no product)"
        key = (product, r.theme)
        row = groups.setdefault(key, {"product": product, "area": r.area, "theme": r.theme, "count": 0, "cases": []})
        row["count"] += 1
        row["cases"].append({"reference": r.case.reference, "subject": r.case.subject, "item": r.item_id,
                             "status": r.item.status})
        by_product[product] = by_product.get(product, 0) + 1
        by_theme[r.theme] = by_theme.get(r.theme, 0) + 1
    return {
        "month": month, "total": sum(by_product.values()),
        "by_product": [{"product": k, "count": v} for k, v in sorted(by_product.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_theme": [{"theme": k, "count": v} for k, v in sorted(by_theme.items(), key=lambda kv: (-kv[1], kv[0]))],
        "groups": list(groups.values()),
    }
