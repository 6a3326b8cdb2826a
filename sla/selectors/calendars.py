"""The pure calendars the arithmetic runs on, built once per process and calendar version."""

from __future__ import annotations

from sla.business_time import BusinessCalendar
from sla.models import Calendar, Shift

_CACHE: dict[tuple, BusinessCalendar] = {}


def business_calendar(calendar: Calendar, *, year: int) -> BusinessCalendar:
    """Return the pure calendar for `calendar`, with holidays from the year before to three after.

    Cached by id and `updated_at` (saving a calendar, its hours or holidays through the
    admin or the services touches it), so sweeps do not rebuild holiday sets.
    """
    key = ("cal", calendar.pk, calendar.updated_at, year)
    cached = _CACHE.get(key)
    if cached is None:
        if len(_CACHE) > 500:
            _CACHE.clear()
        cached = _CACHE[key] = calendar.to_business(range(year - 1, year + 4))
    return cached


def shift_calendar(team) -> BusinessCalendar | None:
    """Return the team's weekly shifts as a calendar in the team's time zone (None: no shifts)."""
    from sla.models.calendars import interval_minutes

    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    rows = list(Shift.objects.filter(team=team).values_list("weekday", "start", "end"))
    if not rows:
        return None
    for weekday, start, end in rows:
        week[weekday].append(interval_minutes(start, end))
    return BusinessCalendar(tz=team.time_zone or "UTC", week=week)
