"""Automation rules: run by a Celery worker after commit, never inside the request.

The bus subscriber `automation_events_published` queues `automation_run` with the ids
of committed events. The task matches each event's trigger and the rule's conditions
and runs the actions through the case services with the rule as actor, each leaving
an `automation` event that names the rule.

Loops cannot happen: (1) a rule never reacts to events its own actions caused (their
actor is the rule); (2) the depth of a chain (rule -> event -> rule ...) is carried in
each automation event's data (read back from the event that triggers the next rule)
and stops at MAX_DEPTH; (3) a rule acts
once per event (an AutomationRun row), so a re-delivered task does nothing twice.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum

from helpdesk.errors import DomainError
from helpdesk.eventlog import Actor, ActorKind
from tickets.models import CaseEvent, EventKind
from tickets.services.events import case_event_record
from workflows.models import AutomationRule, AutomationRun, Trigger
from workflows.rules.matching import CompiledRule, RuleFailure, compile_conditions, evaluate
from helpdesk.process_copy import ProcessCopy
from workflows.selectors.facts import case_facts
from workflows.services.automation_actions import action_run

log = logging.getLogger(__name__)

MAX_DEPTH = 3

_compiled: dict[str, Any] = {"signature": None, "rules": {}}
_compiled_lock = threading.Lock()


def trigger_of(event: CaseEvent) -> str | None:
    """Return the automation trigger a case event stands for, or None."""
    data = event.data or {}
    if event.kind == EventKind.CREATED:
        return Trigger.CASE_CREATED
    if event.kind == EventKind.TRANSITION:
        return Trigger.CASE_TRANSITIONED
    if event.kind == EventKind.COMMENT:
        return Trigger.CUSTOMER_COMMENTED if data.get("from_customer") else Trigger.AGENT_COMMENTED
    if event.kind == EventKind.FIELD_CHANGE:
        return Trigger.FIELD_CHANGED
    if event.kind == EventKind.SLA and data.get("type") in ("warning", "breach"):
        return Trigger.SLA_WARNING if data["type"] == "warning" else Trigger.SLA_BREACH
    if event.kind == EventKind.TASK and data.get("type") == "done":
        return Trigger.TASK_DONE
    if event.kind == EventKind.PROBLEM and data.get("type") == "fixed":
        return Trigger.PROBLEM_FIXED
    return None


def automation_rules_forget(**_kwargs) -> None:
    """Drop this process's compiled automation rules (connected to rule saves and deletes)."""
    with _compiled_lock:
        _compiled["signature"] = None


def automation_rules_compiled() -> dict[str, list[CompiledRule]]:
    """Return active rules grouped by trigger, compiled; recompiled only when a rule changed."""
    signature = tuple(AutomationRule.objects.filter(is_active=True).aggregate(
        n=Count("id"), revisions=Sum("revision"), changed=Max("updated_at"), last=Max("id")).values())
    with _compiled_lock:
        if _compiled["signature"] == signature:
            return _compiled["rules"]
    grouped: dict[str, list[CompiledRule]] = {}
    for rule in AutomationRule.objects.filter(is_active=True).order_by("position", "id"):
        try:
            conditions = compile_conditions(rule.conditions or [])
        except Exception:
            log.exception("automation rule %s cannot be compiled; skipped", rule.pk)
            continue
        grouped.setdefault(rule.trigger, []).append(
            CompiledRule(id=rule.pk, name=rule.name, conditions=conditions, actions=list(rule.actions or [])))
    with _compiled_lock:
        _compiled["signature"], _compiled["rules"] = signature, grouped
    return grouped


# Whether any rule is active, asked on every delivery of events (see helpdesk.process_copy).
automation_any_active = ProcessCopy("automation-any-active",
                                    lambda: AutomationRule.objects.filter(is_active=True).exists())


def automation_events_published(event_ids: list[int]) -> None:
    """Bus subscriber: queue the automation task for committed events, carrying the chain depth."""
    if not automation_any_active.get():
        return
    from workflows.background import automation_run

    try:
        automation_run.delay(list(event_ids))
    except Exception:  # a broker outage must not fail the change; automation is best effort
        log.exception("could not queue automation for events %s", event_ids)


def automation_process(*, event_ids: list[int], depth: int = 0, origin: list[int] | tuple[int, ...] = ()) -> int:
    """Run the matching rules for each event; return how many rules acted.

    Each rule runs in its own transaction; a failing action rolls back that rule only and
    is recorded as an automation event with the error.
    """
    rules = automation_rules_compiled()
    acted = 0
    for event in CaseEvent.objects.filter(pk__in=event_ids).select_related("case").order_by("id"):
        trigger = trigger_of(event)
        if trigger is None or not rules.get(trigger):
            continue
        event_depth, event_origin = _chain_of(event)
        event_depth, event_origin = max(depth, event_depth), (*origin, *event_origin)
        if event_depth >= MAX_DEPTH:
            log.warning("automation chain stopped at depth %s on event %s (rules %s)", event_depth, event.pk, event_origin)
            continue
        for rule in rules[trigger]:
            if rule.id in event_origin or (event.actor_kind == ActorKind.RULE and event.actor_label == rule.name):
                continue  # a rule never re-triggers itself
            acted += _run_rule(rule, event, event_depth, tuple(event_origin))
    return acted


def _chain_of(event: CaseEvent) -> tuple[int, tuple[int, ...]]:
    """Return the depth and the rules of the chain that produced `event` (0 and none for people's changes).

    A rule's actions are followed, in the same transaction, by its `automation` event,
    whose data carries the depth and the rules before it.
    """
    if event.actor_kind != ActorKind.RULE:
        return 0, ()
    record = (CaseEvent.objects.filter(case_id=event.case_id, kind=EventKind.AUTOMATION, id__gt=event.pk,
                                       data__rule=event.actor_label)
              .order_by("id").values_list("data", flat=True).first())
    if not record:
        return 0, ()
    return int(record.get("depth", 0)), (*record.get("origin", []), record.get("rule_id"))


def _run_rule(rule: CompiledRule, event: CaseEvent, depth: int, origin: tuple[int, ...]) -> int:
    case = event.case
    try:
        ok, held = evaluate(rule, case_facts(case, event=event))
    except RuleFailure as exc:
        _record_failure(rule, event, depth, f"conditions failed: {exc}")
        return 0
    if not ok:
        return 0
    actor = Actor.rule(rule.name)
    try:
        with transaction.atomic():
            try:
                AutomationRun.objects.create(rule_id=rule.id, event=event, depth=depth)
            except IntegrityError:
                return 0  # already acted on this event (a re-delivered task)
            outcomes = []
            for action in rule.actions:
                outcomes.append(action_run(action=action, case=case, actor=actor, rule_name=rule.name, event=event))
            recorded = case_event_record(
                case=case, kind=EventKind.AUTOMATION, actor=actor,
                reason=f"Rule {rule.name!r} ran on {event.kind} #{event.pk}: " + "; ".join(o for o in outcomes if o),
                data={"rule": rule.name, "rule_id": rule.id, "trigger_event": event.pk, "depth": depth + 1,
                      "origin": list(origin), "conditions": held, "actions": rule.actions},
            )
            from helpdesk import bus

            bus.publish_on_commit([recorded.pk])
    except DomainError as exc:
        _record_failure(rule, event, depth, exc.message)
        return 0
    return 1


def _record_failure(rule: CompiledRule, event: CaseEvent, depth: int, message: str) -> None:
    with transaction.atomic():
        AutomationRun.objects.get_or_create(rule_id=rule.id, event=event, defaults={"depth": depth, "outcome": "failed"})
        case_event_record(case=event.case, kind=EventKind.AUTOMATION, actor=Actor.rule(rule.name),
                          reason=f"Rule {rule.name!r} failed and was skipped: {message}",
                          data={"rule": rule.name, "rule_id": rule.id, "trigger_event": event.pk, "depth": depth + 1,
                                "failed": True, "error": message})
