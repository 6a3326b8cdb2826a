"""SLA figures for the live boards and reports: compliance, cases at risk, breaches as they happen.

Compliance reads the event log (each met or breach event, so every next-response cycle
counts); cases at risk read the clock rows.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.db.models.fields.json import KT

from sla.models import Clock, ClockState, Policy
from sla.selectors.clocks import clock_row
from tickets.models import CaseEvent, EventKind

GROUPS = ("team", "policy", "priority", "target")


def compliance(*, teams, since: datetime, until: datetime, group_by: tuple[str, ...] = GROUPS) -> list[dict]:
    """Return met, breached and compliance (met / (met + breached)) per group over [since, until).

    `teams` is an iterable of teams or None for every team; `group_by` is any subset of
    team, policy, priority and target.
    """
    group_by = tuple(g for g in GROUPS if g in group_by)
    qs = CaseEvent.objects.filter(kind=EventKind.SLA, occurred_at__gte=since, occurred_at__lt=until,
                                  data__type__in=["met", "breach"])
    if teams is not None:
        qs = qs.filter(team__in=list(teams))
    keys = {"team": "team_id", "policy": "policy_key", "priority": "priority_key", "target": "target_key"}
    qs = qs.annotate(policy_key=KT("data__policy"), priority_key=KT("data__priority"), target_key=KT("data__target"))
    rows = qs.values(*[keys[g] for g in group_by]).annotate(
        met=Count("id", filter=Q(data__type="met") & ~Q(data__breached=True)),
        breached=Count("id", filter=Q(data__type="breach")),
    ).order_by(*[keys[g] for g in group_by])
    from workflows.models import Team

    team_names = dict(Team.objects.values_list("id", "name"))
    policy_names = {str(k): v for k, v in Policy.objects.values_list("id", "name")}
    out = []
    for row in rows:
        item = {g: row[keys[g]] for g in group_by}
        if "team" in item:
            item["team_name"] = team_names.get(item["team"])
        if "policy" in item:
            item["policy_name"] = policy_names.get(str(item["policy"]))
            item["policy"] = int(item["policy"]) if item["policy"] not in (None, "") else None
        total = row["met"] + row["breached"]
        item.update(met=row["met"], breached=row["breached"],
                    compliance=round(row["met"] / total, 4) if total else None)
        out.append(item)
    return out


def at_risk(*, teams, now: datetime, limit: int = 50) -> list[dict]:
    """Return running clocks of open cases, the soonest due first, with remaining business time."""
    qs = Clock.objects.filter(state=ClockState.RUNNING).select_related(
        "calendar", "policy", "case", "case__team", "case__assignee").order_by("due_at", "id")
    if teams is not None:
        qs = qs.filter(case__team__in=list(teams))
    out = []
    for clock in qs[:limit]:
        row = clock_row(clock, now)
        case = clock.case
        row.update(case=case.reference, subject=case.subject, case_priority=case.priority,
                   team=case.team.name if case.team_id else None,
                   assignee=str(case.assignee) if case.assignee_id else None)
        out.append(row)
    return out


def breaches(*, teams, since: datetime | None = None, after_id: int | None = None, limit: int = 100) -> list[dict]:
    """Return breach events, newest first (or those after `after_id`, oldest first, for a live feed)."""
    qs = CaseEvent.objects.filter(kind=EventKind.SLA, data__type="breach").select_related("case", "team")
    if teams is not None:
        qs = qs.filter(team__in=list(teams))
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    qs = qs.filter(id__gt=after_id).order_by("id") if after_id is not None else qs.order_by("-id")
    return [{
        "event": e.pk, "case": e.case.reference, "subject": e.case.subject, "team": e.team.name if e.team_id else None,
        "target": e.data.get("target"), "priority": e.data.get("priority"), "late": e.data.get("late", False),
        "occurred_at": e.occurred_at, "due_at": e.data.get("due_at"),
    } for e in qs[:limit]]
