"""Reads for routing screens and the API: explanations, dry runs, configuration lists."""

from __future__ import annotations

from tickets.models import CaseEvent, EventKind
from workflows.models import Absence, Notification, Team
from workflows.selectors.facts import draft_facts

EXPLAINED_KINDS = (EventKind.ROUTING, EventKind.ASSIGNMENT, EventKind.ESCALATION, EventKind.HANDOVER, EventKind.AUTOMATION)


def case_routing_explanation(case) -> dict:
    """Return which rule placed the case, which conditions held, why this person, and the history."""
    events = list(CaseEvent.objects.filter(case=case, kind__in=EXPLAINED_KINDS).order_by("id")[:200])
    routing = next((e for e in reversed(events) if e.kind == EventKind.ROUTING and not e.data.get("failed")), None)
    decision = None
    if routing is not None:
        data = routing.data
        decision = {
            "rule": data.get("rule"), "trigger": data.get("trigger"), "kept_team": data.get("kept_team", False),
            "conditions": data.get("conditions", []), "skipped_rules": data.get("skipped_rules", []),
            "team": data.get("team_name"), "assignment": data.get("assignment"), "summary": routing.reason,
            "at": routing.occurred_at,
        }
    elif case.team_id is not None:
        decision = {"rule": None, "trigger": "created", "kept_team": True, "conditions": [], "skipped_rules": [],
                    "team": str(case.team), "assignment": {"strategy": case.team.assignment_strategy, "why": ""},
                    "summary": f"Raised for {case.team} directly; nobody was free to take it, or the team assigns "
                               "by hand, so it waits in the team queue.", "at": case.created_at}
    else:
        from workflows.services.routing import routing_rule_default

        decision = {"rule": routing_rule_default().name, "trigger": "created", "kept_team": False, "conditions": [],
                    "skipped_rules": [], "team": None, "assignment": None,
                    "summary": "No routing rule matched; the default rule leaves the case in the triage queue.",
                    "at": case.created_at}
    return {
        "case": case.reference,
        "team": str(case.team) if case.team_id else None,
        "assignee": str(case.assignee) if case.assignee_id else None,
        "escalation_level": case.escalation_level,
        "decision": decision,
        "history": [{"id": e.pk, "kind": e.kind, "actor": e.actor_label, "reason": e.reason, "at": e.occurred_at}
                    for e in events],
    }


def routing_dry_run(*, requester=None, subject="", description="", category=None, product=None, priority="P3",
                    channel="web", organization=None, custom_fields=None, tags=(), team=None) -> dict:
    """Answer where a draft case would go and why, writing nothing."""
    from tickets.models import Case
    from workflows.services.assignment import assignment_choose
    from workflows.services.routing import Plan, assigns_on_arrival, routing_plan

    if team is not None:
        plan = Plan(rule=None, team=team, kept_team=True, note=f"Raised for {team} directly; rules are not applied.")
    else:
        facts = draft_facts(subject=subject, description=description, category=category, product=product,
                            priority=priority, channel=channel, organization=organization, requester=requester,
                            custom_fields=custom_fields, tags=tags)
        plan = routing_plan(facts=facts, current_team=None)
    strategy = plan.rule.actions.get("strategy") if plan.rule else None
    if plan.team is not None and not assigns_on_arrival(plan.team, strategy):
        plan.note = plan.note or f"{plan.team} takes new cases from its queue."
    elif plan.team is not None:
        draft = Case(subject=subject, description=description, category=category, product=product,
                     priority=plan.priority or priority, channel=channel, custom_fields=custom_fields or {})
        plan.choice = assignment_choose(team=plan.team, case=draft, strategy=strategy, commit=False)
    return plan.as_data()


def teams_visible_to(user):
    """Return teams with their members: every team for staff, none for customers."""
    if not getattr(user, "is_staff_member", False):
        return Team.objects.none()
    return Team.objects.select_related("lead", "last_assigned").prefetch_related("memberships__user", "memberships__skills")


def absences_visible_to(user):
    """Return absences: managers see everyone's, other staff their own and their teams'."""
    qs = Absence.objects.select_related("user", "delegate", "created_by")
    if not getattr(user, "is_staff_member", False):
        return qs.none()
    if user.is_manager_role:
        return qs
    from tickets.models import team_ids

    return qs.filter(user__memberships__team_id__in=list(team_ids(user)) or [0]).distinct() | qs.filter(user=user)


def notifications_for(user, *, unread_only: bool = False):
    """Return the user's notifications, newest first (only unread ones when asked)."""
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs
