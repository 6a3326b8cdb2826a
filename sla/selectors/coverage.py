"""Coverage of 24x7 policies: the hours of the week when no team of the chain is on duty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.models import CalendarKind, Policy
from sla.selectors.calendars import shift_calendar
from sla.selectors.shifts import chain_teams

HOUR = 3600


def _week_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    monday = (at - timedelta(days=at.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def _merged_duty(teams, a: float, b: float) -> list[tuple[float, float]]:
    spans = []
    for team in teams:
        calendar = shift_calendar(team)
        if calendar is None:
            return [(a, b)]  # a team without shifts is always on duty
        day = datetime.fromtimestamp(a, calendar.tz).date() - timedelta(days=1)
        last = datetime.fromtimestamp(b, calendar.tz).date()
        while day <= last:
            spans += [(max(s, a), min(e, b)) for s, e in calendar.day_intervals(day) if e > a and s < b]
            day += timedelta(days=1)
    spans.sort()
    merged: list[list[float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def chain_gaps(teams, *, week_of: datetime) -> list[dict]:
    """Return the stretches of the UTC week containing `week_of` when none of `teams` is on duty."""
    start = _week_start(week_of)
    a, b = start.timestamp(), (start + timedelta(days=7)).timestamp()
    gaps, cursor = [], a
    for s, e in _merged_duty(teams, a, b) if teams else []:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < b:
        gaps.append((cursor, b))
    return [{"start": datetime.fromtimestamp(s, UTC), "end": datetime.fromtimestamp(e, UTC),
             "minutes": round((e - s) / 60)} for s, e in gaps]


def uncovered_hours(gaps: list[dict]) -> list[datetime]:
    """Return the start of every hour of the week that is at least partly uncovered."""
    hours = set()
    for gap in gaps:
        t = gap["start"].replace(minute=0, second=0, microsecond=0)
        while t < gap["end"]:
            hours.add(t)
            t += timedelta(hours=1)
    return sorted(hours)


def coverage_report(*, at: datetime) -> list[dict]:
    """Return, for every active 24x7 policy, its chain, the gaps of this week and warnings."""
    report = []
    policies = Policy.objects.filter(is_active=True, targets__calendar__kind=CalendarKind.ALWAYS).distinct()
    for policy in policies.select_related("chain").order_by("position", "id"):
        teams = chain_teams(policy.chain) if policy.chain_id else []
        gaps = chain_gaps(teams, week_of=at)
        hours = uncovered_hours(gaps)
        warnings = []
        if not policy.chain_id:
            warnings.append(f"{policy.name} is 24x7 but has no follow-the-sun chain: nobody is sure to be on duty.")
        elif not teams:
            warnings.append(f"The chain {policy.chain.name} has no teams.")
        elif gaps:
            warnings.append(f"The chain {policy.chain.name} has {len(hours)} hour(s) a week with nobody on duty.")
        report.append({
            "policy": policy.name, "policy_id": policy.pk,
            "chain": policy.chain.name if policy.chain_id else None,
            "teams": [t.name for t in teams], "gaps": gaps, "uncovered_hours": hours, "warnings": warnings,
        })
    return report
