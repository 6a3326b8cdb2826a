"""Choosing the policy of a case, and defining calendars and policies with their checks."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction

from helpdesk.errors import InvalidInput
from helpdesk.process_copy import ProcessCopy
from sla.models import BusinessInterval, Calendar, CustomHoliday, Policy, Target
from sla.models.calendars import check_week_intervals


def policy_matches(policy: Policy, case) -> bool:
    """Tell whether every non-empty condition of `policy` holds for `case` (pure on loaded rows)."""
    tier = case.organization.tier if case.organization_id else None
    if policy.tiers and tier not in policy.tiers:
        return False
    if policy.priorities and case.priority not in policy.priorities:
        return False
    if policy.channels and case.channel not in policy.channels:
        return False
    products = [p.pk for p in policy.products.all()]
    if products and case.product_id not in products:
        return False
    categories = {c.pk for c in policy.categories.all()}
    if categories:
        path = {c.pk for c in case.category.ancestors_and_self()} if case.category_id else set()
        if not categories & path:
            return False
    return True


def _load_active() -> list[Policy]:
    policies = list(Policy.objects.filter(is_active=True).prefetch_related("products", "categories", "targets__calendar"))
    for policy in policies:
        # Every new case looks up two targets by priority and kind: a dict, not a scan of the list.
        policy.targets_by_key = {(t.priority, t.kind): t for t in policy.targets.all()}
    return policies


# Every new case and every re-match reads the policies; they change rarely. This process
# notices its own edits at once (signals, see SlaConfig.ready) and other processes'
# within two seconds (helpdesk.process_copy).
active_copy = ProcessCopy("sla-policies", _load_active)


def active_policies() -> list[Policy]:
    """Return the active policies by position with products, categories, targets and calendars loaded."""
    return active_copy.get()


def policy_for(case) -> Policy | None:
    """Return the first active policy (by position) matching the case, else the default, else None."""
    policies = active_policies()
    for policy in policies:
        if not policy.is_default and policy_matches(policy, case):
            return policy
    return next((p for p in policies if p.is_default), None)


def _invalid(exc: ValidationError) -> InvalidInput:
    fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {
        "__all__": list(exc.messages)}
    return InvalidInput("; ".join(m for ms in fields.values() for m in ms), fields=fields)


def calendar_define(
    *,
    name: str,
    time_zone: str = "UTC",
    always: bool = False,
    hours: list[tuple[int, time, time]] = (),
    holiday_country: str = "",
    holiday_subdivision: str = "",
    custom_holidays: list = (),
) -> Calendar:
    """Create or replace a calendar with its weekly hours and custom holidays, or refuse it.

    Refused with a clear message: an unknown time zone or holiday country, empty or
    overlapping intervals, or a business calendar without any open hours.
    """
    calendar = Calendar.objects.filter(name=name).first() or Calendar(name=name)
    calendar.kind = "24x7" if always else "business"
    calendar.time_zone = time_zone
    calendar.holiday_country = holiday_country
    calendar.holiday_subdivision = holiday_subdivision
    try:
        calendar.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if not always:
        problems = check_week_intervals(list(hours))
        if not hours:
            problems.append("A business-hours calendar needs at least one interval.")
        if problems:
            raise InvalidInput(" ".join(problems), fields={"hours": problems})
    with transaction.atomic():
        calendar.save()
        calendar.intervals.all().delete()
        calendar.holidays.all().delete()
        BusinessInterval.objects.bulk_create(
            [BusinessInterval(calendar=calendar, weekday=d, start=s, end=e) for d, s, e in (hours if not always else [])]
        )
        CustomHoliday.objects.bulk_create(
            [CustomHoliday(calendar=calendar, date=d, name=n) for d, n in custom_holidays]
        )
    return calendar


def policy_define(*, name: str, targets: list[tuple[str, str, int, Calendar]], **fields) -> Policy:
    """Create or replace a policy and its targets (priority, kind, minutes, calendar), or refuse it.

    Refused with a clear message: unknown tiers, priorities, channels or pause states,
    warning thresholds outside (0, 100), targets of zero or negative length.
    """
    products = fields.pop("products", None)
    categories = fields.pop("categories", None)
    policy = Policy.objects.filter(name=name).first() or Policy(name=name)
    for key, value in fields.items():
        setattr(policy, key, value)
    rows = [Target(policy=policy, priority=p, kind=k, minutes=m, calendar=c) for p, k, m, c in targets]
    try:
        policy.full_clean(validate_unique=False)
        for row in rows:
            row.full_clean(exclude=["policy"], validate_unique=False)
    except ValidationError as exc:
        raise _invalid(exc) from None
    with transaction.atomic():
        policy.save()
        if products is not None:
            policy.products.set(products)
        if categories is not None:
            policy.categories.set(categories)
        policy.targets.all().delete()
        for row in rows:
            row.policy = policy
        Target.objects.bulk_create(rows)
    return policy
