"""What a case's clocks say: state, due time and remaining business time."""

from __future__ import annotations

from datetime import datetime

from helpdesk import clock as wall
from sla.business_time import business_seconds_between
from sla.models import Clock, ClockState
from sla.selectors.calendars import business_calendar


def remaining_business_seconds(clock: Clock, now: datetime) -> int | None:
    """Return business seconds left before the due time (negative when overdue); None when done."""
    if clock.state in (ClockState.MET, ClockState.CANCELLED) or clock.met_at is not None:
        return None
    bc = business_calendar(clock.calendar, year=now.year)
    until = clock.paused_at if clock.state == ClockState.PAUSED and clock.paused_at else now
    if until >= clock.due_at or clock.state == ClockState.BREACHED:
        return -round(business_seconds_between(bc, clock.due_at, until))
    used = business_seconds_between(bc, clock.started_at, until) - clock.paused_seconds
    return round(clock.target_seconds - used)


def clock_row(clock: Clock, now: datetime) -> dict:
    remaining = remaining_business_seconds(clock, now)
    used_pct = None
    if remaining is not None and clock.target_seconds:
        used_pct = round(100 * (clock.target_seconds - remaining) / clock.target_seconds, 1)
    return {
        "id": clock.pk, "target": clock.kind, "label": clock.get_kind_display(), "state": clock.state,
        "policy": clock.policy.name if clock.policy_id else None, "priority": clock.priority,
        "calendar": clock.calendar.name, "target_seconds": clock.target_seconds,
        "started_at": clock.started_at, "due_at": clock.due_at, "paused_at": clock.paused_at,
        "paused_seconds": round(clock.paused_seconds), "met_at": clock.met_at, "breached_at": clock.breached_at,
        "remaining_seconds": remaining, "used_percent": used_pct,
        "warnings_fired": [p for p in clock.checkpoints[: clock.fired] if p < 100],
        "next_check_at": clock.next_check_at, "cycle": clock.cycle,
    }


def case_clocks(case, *, now: datetime | None = None) -> list[dict]:
    """Return the case's clocks (first response, next response, resolution) for page, API and boards."""
    now = now or wall.now()
    clocks = Clock.objects.filter(case=case).select_related("calendar", "policy").order_by("id")
    order = {"first_response": 0, "next_response": 1, "resolution": 2}
    return [clock_row(c, now) for c in sorted(clocks, key=lambda c: order.get(c.kind, 9))]
