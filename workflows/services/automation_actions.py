"""The actions an automation rule can take, each through the service that owns the change."""

from __future__ import annotations

from helpdesk.errors import InvalidInput
from tickets.models import Category, EventKind, Product, User
from tickets.services.events import case_event_record
from workflows.models import Team


def action_run(*, action: dict, case, actor, rule_name: str, event) -> str:
    """Apply one action to `case` as `actor`; return a short account of what it did."""
    from tickets.services import cases as case_services

    case.refresh_from_db()
    kind = action["type"]
    if kind == "assign":
        return _assign(action, case, actor)
    if kind == "set_field":
        name, value = action["field"], action.get("value")
        if name.startswith("custom."):
            fields = dict(case.custom_fields or {})
            fields[name[7:]] = value
            case_services.case_update(case=case, actor=actor, changes={"custom_fields": fields}, reason=f"Rule {rule_name}")
        else:
            model = {"category": Category, "product": Product}.get(name)
            if model is not None:
                value = model.objects.filter(slug=value).first()
                if value is None:
                    raise InvalidInput(f"No {name} {action.get('value')!r}.", fields={name: ["Does not exist."]})
            case_services.case_update(case=case, actor=actor, changes={name: value}, reason=f"Rule {rule_name}")
        return f"set {name}"
    if kind == "add_tag":
        tags = sorted(set(case.tags.values_list("name", flat=True)) | {t.lower() for t in action["tags"]})
        case_services.case_update(case=case, actor=actor, changes={"tags": tags}, reason=f"Rule {rule_name}")
        return f"tagged {', '.join(action['tags'])}"
    if kind == "transition":
        case_services.case_transition(case=case, name=action["name"], actor=actor,
                                      reason=action.get("reason") or f"Rule {rule_name}")
        return f"applied {action['name']}"
    if kind == "escalate":
        case_services.case_transition(case=case, name="escalate", actor=actor,
                                      reason=action.get("reason") or f"Rule {rule_name}")
        return "escalated"
    if kind == "notify":
        return _notify(action, case, actor, rule_name)
    if kind == "create_task":
        return _create_task(action, case, actor)
    raise InvalidInput(f"Unknown action {kind!r}.", fields={"actions": [kind]})


def _assign(action, case, actor) -> str:
    from tickets.services.cases import case_assign
    from workflows.services.assignment import assignment_choose

    if action["to"] == "team_strategy":
        if case.team is None:
            return "no team to pick from"
        choice = assignment_choose(team=case.team, case=case)
        case_assign(case=case, assignee=choice.user, actor=actor, reason=choice.reason, data=choice.as_data())
        return f"assigned to {choice.user or 'the queue'}"
    user = User.objects.filter(username__iexact=action["to"], is_active=True).first()
    if user is None:
        raise InvalidInput(f"No user {action['to']!r}.", fields={"to": ["No such user."]})
    case_assign(case=case, assignee=user, actor=actor, reason="Assigned by automation.")
    return f"assigned to {user}"


def _audience(to: list[str], case) -> list:
    people = []
    for who in to:
        if who == "assignee" and case.assignee_id:
            people.append(case.assignee)
        elif who == "requester":
            people.append(case.requester)
        elif who == "team" and case.team_id:
            people += [m.user for m in case.team.memberships.select_related("user")]
        elif who in ("team_lead", "manager") and case.team_id:
            team = case.team
            if team.lead_id:
                people.append(team.lead)
            if who == "manager":
                people += [m.user for m in team.memberships.filter(role="manager").select_related("user")]
    return people


def _notify(action, case, actor, rule_name: str) -> str:
    from workflows.services.notifications import notify
    from workflows.services.webhooks import webhook_emit

    channel = action["channel"]
    if channel == "webhook":
        event_type = action.get("event_type") or "automation"
        deliveries = webhook_emit(event_type=event_type, payload={
            "rule": rule_name, "title": action.get("title") or rule_name,
            "summary": action.get("title") or f"Rule {rule_name} on {case.subject}",
            "case": {"reference": case.reference, "subject": case.subject, "state": case.state,
                     "priority": case.priority}})
        sent = f"webhook {event_type} to {len(deliveries)} endpoint(s)"
        recipients = []
    else:
        recipients = _audience(action["to"], case)
        if "requester" not in action["to"]:
            recipients = [u for u in recipients if u.is_staff_member]
        notify(recipients=recipients, kind="automation", title=action["title"], body=action.get("body", ""),
               case=case, email=channel == "email", data={"rule": rule_name})
        sent = f"{channel} to {len(recipients)} person(s)"
    case_event_record(case=case, kind=EventKind.NOTIFICATION, actor=actor, reason=f"Notified: {sent}",
                      data={"rule": rule_name, "channel": channel, "recipients": [u.pk for u in recipients]})
    return f"notified ({sent})"


def _create_task(action, case, actor) -> str:
    # Imported here: the tasks service imports case services that import this module's callers.
    from workflows.models import RouteTemplate
    from workflows.services.tasks import task_create

    department = Team.objects.filter(slug=action["department"], is_active=True).first()
    if department is None:
        raise InvalidInput(f"No department {action['department']!r}.", fields={"department": ["Does not exist."]})
    route_template = None
    if action.get("route_template"):
        route_template = RouteTemplate.objects.filter(slug=action["route_template"]).first()
        if route_template is None:
            raise InvalidInput(f"No route template {action['route_template']!r}.",
                               fields={"route_template": ["Does not exist."]})
    task = task_create(case=case, department=department, title=action["title"], actor=actor,
                       description=action.get("description", ""), route_template=route_template,
                       blocking=action.get("blocking", True))
    return f"created task {task.pk} for {department}"
