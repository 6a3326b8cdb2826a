"""What a board shows when it (re)loads: one JSON-ready dict per board.

The SLA and department figures come from the selectors other apps own (named in the
interface contract). They are imported inside the functions, and a board whose source is
not installed says so in `missing` rather than showing invented numbers.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from helpdesk import clock
from tickets.api.serializers import CaseEventSerializer, CaseSerializer
from tickets.models import OPEN_STATES, Case, CaseEvent, Priority

from .payloads import _plain
from .relay import latest_event_id

MAX_CARDS = 500
MAX_CLOCK_LOOKUPS = 100


def _selector(module: str, name: str):
    """Return the named selector, or None while the app that owns it is not installed."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def team_snapshot(team) -> dict:
    """Return the team board: the team's open cases with the nearest SLA due time of each."""
    last_id = latest_event_id()  # read first: events after it are replayed, never lost
    cases = list(
        Case.objects.filter(team=team, state__in=OPEN_STATES)
        .select_related("requester", "organization", "product", "category", "team", "assignee")
        .prefetch_related("tags")
        .order_by("priority", "created_at")[:MAX_CARDS]
    )
    dues, missing = _nearest_dues(team, cases)
    cards = []
    for case in cases:
        card = _plain(CaseSerializer(case).data)
        card["sla_due"] = dues.get(case.pk)
        cards.append(card)
    return {
        "last_event_id": last_id,
        "team": {"id": team.pk, "name": team.name, "slug": team.slug},
        "states": [{"value": s.value, "label": s.label} for s in OPEN_STATES],
        "priorities": list(Priority.values),
        "cases": cards,
        "missing": missing,
    }


def _nearest_dues(team, cases) -> tuple[dict[int, str], list[str]]:
    """Return {case id: ISO due time of its nearest running SLA target} from the SLA selectors.

    One `at_risk` query covers the team's running clocks (soonest first); `case_clocks`
    fills in, per card, what that list did not reach.
    """
    now = clock.now()
    by_reference = {c.reference: c.pk for c in cases}
    dues: dict[int, datetime] = {}
    at_risk = _selector("sla.selectors.reports", "at_risk")
    if at_risk is not None:
        for row in at_risk(teams=[team], now=now, limit=MAX_CARDS):
            case_id, due = by_reference.get(row.get("case")), _due(row)
            if case_id is not None and due is not None:
                dues[case_id] = min(dues.get(case_id, due), due)
    case_clocks = _selector("sla.selectors.clocks", "case_clocks")
    if case_clocks is not None and (at_risk is None or len(dues) >= MAX_CARDS):
        for case in cases[:MAX_CLOCK_LOOKUPS]:
            if case.pk in dues:
                continue
            running = [d for d in (_due(c) for c in case_clocks(case) if c.get("state") == "running") if d]
            if running:
                dues[case.pk] = min(running)
    missing = [n for n, f in (("sla.selectors.reports.at_risk", at_risk),
                              ("sla.selectors.clocks.case_clocks", case_clocks)) if f is None]
    return {k: v.isoformat() for k, v in dues.items()}, missing


def sla_snapshot(teams) -> dict:
    """Return the manager SLA board: compliance today and this week, at-risk cases, breaches, shifts."""
    last_id = latest_event_id()
    now = clock.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = day_start - timedelta(days=day_start.weekday())
    teams = list(teams)
    missing = []
    compliance = _selector("sla.selectors.reports", "compliance")
    at_risk = _selector("sla.selectors.reports", "at_risk")
    on_shift_now = _selector("sla.selectors.shifts", "on_shift_now")
    next_handover = _selector("sla.selectors.shifts", "next_handover")
    for name, fn in (("sla.selectors.reports.compliance", compliance), ("sla.selectors.reports.at_risk", at_risk),
                     ("sla.selectors.shifts.on_shift_now", on_shift_now),
                     ("sla.selectors.shifts.next_handover", next_handover)):
        if fn is None:
            missing.append(name)
    breaches = (
        CaseEvent.objects.filter(kind="sla", data__type="breach", team__in=teams, occurred_at__gte=day_start)
        .select_related("actor").order_by("-id")[:50]
    )
    return {
        "last_event_id": last_id,
        "generated_at": now.isoformat(),
        "teams": [
            {
                "id": t.pk, "name": t.name, "slug": t.slug, "time_zone": t.time_zone,
                "on_shift": [u.get_full_name() or u.get_username() for u in on_shift_now(team=t, at=now)]
                if on_shift_now else None,
                "next_handover": _iso(next_handover(team=t, at=now)) if next_handover else None,
            }
            for t in teams
        ],
        "compliance": {
            "today": _compliance_rows(compliance, teams, day_start, now) if compliance else None,
            "week": _compliance_rows(compliance, teams, week_start, now) if compliance else None,
        },
        "at_risk": [_at_risk_row(r) for r in at_risk(teams=teams, now=now, limit=50)] if at_risk else None,
        "breaches": [_plain(CaseEventSerializer(e).data) for e in breaches],
        "missing": missing,
    }


def department_snapshot(team) -> dict:
    """Return the department board: its routed tasks by route stage with time in the stage."""
    last_id = latest_event_id()
    department_board = _selector("workflows.selectors.tasks", "department_board")
    return {
        "last_event_id": last_id,
        "generated_at": clock.now().isoformat(),
        "department": {"id": team.pk, "name": team.name, "slug": team.slug},
        "board": _plain(_jsonable(department_board(team=team))) if department_board else None,
        "missing": [] if department_board else ["workflows.selectors.tasks.department_board"],
    }


def _jsonable(value):
    """Make selector output JSON-ready: instants as ISO text, model rows as their name and id."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return value


def _compliance_rows(compliance, teams, since, until) -> list[dict]:
    """Return compliance per team and priority as the board shows it (percent met)."""
    rows = compliance(teams=teams, since=since, until=until, group_by=("team", "priority"))
    return [{
        "team": r.get("team_name"), "priority": r.get("priority"), "met": r.get("met"), "breached": r.get("breached"),
        "compliance_pct": round(100 * r["compliance"], 1) if r.get("compliance") is not None else None,
    } for r in rows]


def _at_risk_row(row: dict) -> dict:
    return _plain(_jsonable({
        "case": row.get("case"), "subject": row.get("subject"), "team": row.get("team"),
        "priority": row.get("case_priority"), "target": row.get("label") or row.get("target"),
        "assignee": row.get("assignee"), "due_at": row.get("due_at"),
        "remaining_seconds": row.get("remaining_seconds"), "used_percent": row.get("used_percent"),
    }))


def _due(row) -> datetime | None:
    if not isinstance(row, dict):
        return None
    value = row.get("due_at")
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if isinstance(value, datetime) else None


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None
