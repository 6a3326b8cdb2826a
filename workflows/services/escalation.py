"""Escalation paths: which tier a case goes to when it is escalated or de-escalated.

A team's path lists tiers by level (L1 -> L2 -> another team ...). Escalating to a level
beyond the last tier reaches the manager: a case is never escalated to nowhere.
The path followed is the one the case started from (remembered in its escalation
events), so a case that climbed from L1 to L2 keeps climbing L1's path.
"""

from __future__ import annotations

from django.db import transaction

from helpdesk.errors import InvalidInput
from helpdesk.eventlog import Actor
from tickets.models import Case, CaseEvent, EventKind
from tickets.services.events import case_event_record
from workflows.models import EscalationPath, EscalationTier, MembershipRole, Team
from workflows.services.assignment import assignment_choose


def _path_for(case: Case) -> EscalationPath | None:
    last = (CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATION, data__has_key="path")
            .order_by("-id").values_list("data__path", flat=True).first())
    if last:
        path = EscalationPath.objects.filter(pk=last).select_related("team", "manager").first()
        if path is not None:
            return path
    if case.team_id is None:
        return None
    return EscalationPath.objects.filter(team_id=case.team_id).select_related("team", "manager").first()


def _manager_for(path: EscalationPath | None, team: Team | None):
    """Return the person a case reaches above the last tier, and the team they take it in."""
    candidates = []
    if path is not None and path.manager_id:
        candidates.append(path.manager)
    if team is not None:
        if team.lead_id:
            candidates.append(team.lead)
        candidates += [m.user for m in team.memberships.filter(role__in=[MembershipRole.MANAGER, MembershipRole.LEAD])
                       .select_related("user").order_by("role", "user_id")]
    for person in candidates:
        if person.is_active and (team is None or person.memberships.filter(team=team).exists()):
            return person
    return candidates[0] if candidates else None


def case_follow_escalation_path(*, case, actor, direction: int, reason: str) -> list[CaseEvent]:
    """Move the case to the tier of its new escalation level; return the events written.

    Level 0 is the path's own team; level n its tier n; beyond the last tier, the manager
    (kept in the current team when they belong to it). The receiving tier's strategy
    picks the assignee. Called by `case_transition` after it changed the level.
    """
    from tickets.services.cases import case_assign
    from workflows.services.notifications import notify

    original = case
    case = Case.objects.select_related("team", "assignee").get(pk=case.pk)
    actor = Actor.of(actor)
    level = case.escalation_level
    path = _path_for(case)
    tiers = {t.level: t.team for t in path.tiers.select_related("team")} if path else {}
    top = max(tiers) if tiers else 0
    target_team, assignee, why = None, None, ""
    if path is not None and level == 0:
        target_team = path.team
    elif level in tiers:
        target_team = tiers[level]
    if target_team is not None:
        choice = assignment_choose(team=target_team, case=case, exclude_user_ids=[case.assignee_id] if direction > 0 and case.assignee_id else [])
        assignee, why = choice.user, choice.reason
        where = f"tier {level}: {target_team}" if level else f"back to {target_team}"
    else:
        manager = _manager_for(path, case.team)
        team = case.team
        if manager is not None and team is not None and not manager.memberships.filter(team=team).exists():
            team = Team.objects.filter(memberships__user=manager, is_active=True).order_by("id").first() or team
        target_team, assignee = team, manager
        where = f"the manager, {manager}" if manager else "the manager"
        why = (f"Level {level} is above the last tier ({top}); the case goes to {manager}." if manager else
               f"Level {level} is above the last tier and no manager is set; the case stays with {team}, flagged for a manager.")
    if target_team is not None and assignee is not None and not assignee.memberships.filter(team=target_team).exists():
        assignee = None
    if (target_team is None or target_team.pk == case.team_id) and (assignee is None or assignee.pk == case.assignee_id):
        # Nowhere else to go (no path, no manager): the case stays where it is, and the
        # log says so, so an escalation is never silently absorbed.
        stay = case.team
        summary = (f"Escalated to level {level}; there is no further tier or manager, so the case stays "
                   f"with {stay or 'the unrouted queue'}." if direction > 0 else
                   f"De-escalated to level {level}; the case stays with {stay or 'the unrouted queue'}.")
        event = case_event_record(
            case=case, kind=EventKind.ESCALATION, actor=actor,
            reason=reason or ("Escalated" if direction > 0 else "De-escalated"),
            before={"team": case.team_id, "assignee": case.assignee_id, "escalation_level": level - direction},
            after={"team": case.team_id, "assignee": case.assignee_id, "escalation_level": level},
            data={"direction": direction, "level": level, "path": path.pk if path else None,
                  "team": case.team_id, "assignee": case.assignee_id, "why": why or summary, "stayed": True,
                  "summary": summary},
        )
        if direction > 0 and stay is not None:
            leads = [m.user for m in stay.memberships.select_related("user")
                     .filter(role__in=[MembershipRole.LEAD, MembershipRole.MANAGER])]
            if stay.lead_id:
                leads.append(stay.lead)
            notify(recipients=leads, kind="escalated", title=f"Escalated in {stay}: {case.subject}",
                   body=summary, case=case)
        original.refresh_from_db()
        return [event]
    data = {"direction": direction, "level": level, "path": path.pk if path else None,
            "team": target_team.pk if target_team else None, "assignee": assignee.pk if assignee else None, "why": why}
    events = [case_event_record(case=case, kind=EventKind.ESCALATION, actor=actor,
                                reason=reason or ("Escalated" if direction > 0 else "De-escalated"),
                                before={"team": case.team_id, "assignee": case.assignee_id,
                                        "escalation_level": level - direction},
                                after={"team": data["team"], "assignee": data["assignee"], "escalation_level": level},
                                data={**data, "summary": f"{'Escalated' if direction > 0 else 'De-escalated'} to {where}. {why}"})]
    with transaction.atomic():
        case_assign(case=case, assignee=assignee, team=target_team, actor=actor, reason=why,
                    data={"escalation": True, "level": level})
    recipients = [assignee] if assignee else ([target_team.lead] if target_team and target_team.lead_id else [])
    notify(recipients=recipients, kind="escalated", title=f"Escalated to you: {case.subject}" if assignee else
           f"Escalated to {target_team}: {case.subject}", body=why, case=case)
    original.refresh_from_db()
    return events


def escalation_path_set(*, team: Team, tiers: list[Team], manager=None) -> EscalationPath:
    """Replace `team`'s escalation path with `tiers` (level 1 first) and `manager` above them.

    Refuses a path that returns to its own team or lists a team twice.
    """
    seen = {team.pk}
    for tier in tiers:
        if tier.pk in seen:
            raise InvalidInput("A path cannot visit a team twice.", fields={"tiers": [f"{tier} appears twice."]})
        seen.add(tier.pk)
    if manager is not None and not manager.is_manager_role and not manager.is_staff_member:
        raise InvalidInput("The manager must be staff.", fields={"manager": ["Not a staff member."]})
    with transaction.atomic():
        path, _ = EscalationPath.objects.update_or_create(team=team, defaults={"manager": manager})
        path.tiers.all().delete()
        EscalationTier.objects.bulk_create([EscalationTier(path=path, level=n, team=t) for n, t in enumerate(tiers, 1)])
        return path
