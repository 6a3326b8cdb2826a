"""The points where a case change hands over to the other apps, all in one place.

Each function calls another app's service inside the caller's transaction and returns
the case events that service appended, so the spine publishes them with its own.
"""

from __future__ import annotations

from tickets.models import Case, CaseEvent


def routing_case_created(*, case: Case, actor, lead: list[dict] = (), plan=None) -> list[CaseEvent]:
    """Route a new case: team, priority, tags and assignee by the routing rules.

    `lead`: events not yet written that routing writes first, if it writes anything.
    `plan`: the decision `routing_new_case` made before the case was written.
    """
    from workflows.services.routing import case_route

    return case_route(case=case, actor=actor, trigger="created", lead=lead, plan=plan)


def routing_new_case(*, case: Case, tags: list[str]):
    """Decide routing for a case about to be created (no locks, no writes); None: it would leave the case as it is."""
    from workflows.services.routing import new_case_routing

    return new_case_routing(case=case, tags=tags)


def sla_new_case_rows(*, case: Case, lead: list[dict] = ()):
    """The clocks a new case starts and all its events, unsaved, for a caller writing them with the case."""
    from sla.services.clocks import NewCaseRows

    return NewCaseRows(case, list(lead))


def routing_case_reclassified(*, case: Case, actor) -> list[CaseEvent]:
    """Re-route a case whose category or product changed."""
    from workflows.services.routing import case_route

    return case_route(case=case, actor=actor, trigger="reclassified")


def routing_case_escalated(*, case: Case, actor, direction: int, reason: str) -> list[CaseEvent]:
    """Move an escalated (+1) or de-escalated (-1) case along its team's escalation path."""
    from workflows.services.escalation import case_follow_escalation_path

    return case_follow_escalation_path(case=case, actor=actor, direction=direction, reason=reason)


def sla_case_created(*, case: Case, lead: list[dict] = ()) -> list[CaseEvent]:
    """Start a new case's clocks once routing has placed it; `lead` events are written first, with them."""
    from sla.services.clocks import clocks_start_new_case

    return clocks_start_new_case(case=case, lead=lead)


def sla_case_changed(*, case: Case, events: list[CaseEvent]) -> list[CaseEvent]:
    """Let the SLA engine start, pause, resume, stop or re-match the case's clocks."""
    from sla.services.clocks import clocks_react

    return clocks_react(case=case, events=events)


def sla_cases_resolved(*, cases: list[Case], replied: bool) -> dict[int, tuple[list[dict], list[dict]]]:
    """Let the SLA engine meet the clocks of many cases resolved at once (after a staff reply when `replied`)."""
    from sla.services.clocks_batch import clocks_resolve_many

    return clocks_resolve_many(cases=cases, replied=replied)


def may_comment_as_department(user, case: Case) -> bool:
    """Tell whether a department member works a task routed from this case."""
    from workflows.services.access import department_works_case

    return department_works_case(user=user, case=case)
