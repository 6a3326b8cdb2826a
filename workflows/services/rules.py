"""Saving routing and automation rules: checked against the schema, with a revision bump.

The revision lets every process see that its compiled copy is stale.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from helpdesk import clock
from helpdesk.errors import Conflict, InvalidInput
from workflows.models import AutomationRule, RoutingRule
from workflows.services.rule_checks import automation_rule_problems, routing_rule_problems

ROUTING_FIELDS = {"name", "description", "position", "is_active", "conditions", "actions"}
AUTOMATION_FIELDS = {"name", "description", "trigger", "position", "is_active", "conditions", "actions"}


def _assign(rule, values: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["This field cannot be set."] for f in sorted(unknown)})
    for name, value in values.items():
        setattr(rule, name, value)
    if not (rule.name or "").strip():
        raise InvalidInput("A rule needs a name.", fields={"name": ["This field is required."]})


def routing_rule_save(*, rule: RoutingRule | None = None, **values) -> RoutingRule:
    """Create or change a routing rule; refuse bad conditions or actions with clear messages.

    The default rule keeps no conditions and stays active.
    """
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk) if rule and rule.pk else RoutingRule()
        _assign(rule, values, ROUTING_FIELDS)
        if rule.is_default and not rule.is_active:
            raise InvalidInput("The default rule cannot be switched off.", fields={"is_active": ["Always on."]})
        problems = routing_rule_problems(conditions=rule.conditions, actions=rule.actions, is_default=rule.is_default)
        if problems:
            raise InvalidInput("The rule is not valid.", fields=problems)
        if RoutingRule.objects.filter(name=rule.name).exclude(pk=rule.pk).exists():
            raise InvalidInput("A rule with this name exists.", fields={"name": ["Choose another name."]})
        rule.updated_at = clock.now()
        rule.revision = (rule.revision or 0) + 1
        rule.save()
        return rule


def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Delete a routing rule; the default rule cannot be deleted."""
    if rule.is_default:
        raise Conflict("The default rule cannot be deleted: every case needs somewhere to land.")
    with transaction.atomic():
        RoutingRule.objects.filter(pk=rule.pk).delete()


def automation_rule_save(*, rule: AutomationRule | None = None, **values) -> AutomationRule:
    """Create or change an automation rule; refuse bad triggers, conditions or actions."""
    with transaction.atomic():
        rule = AutomationRule.objects.select_for_update().get(pk=rule.pk) if rule and rule.pk else AutomationRule()
        _assign(rule, values, AUTOMATION_FIELDS)
        problems = automation_rule_problems(trigger=rule.trigger, conditions=rule.conditions, actions=rule.actions)
        if problems:
            raise InvalidInput("The rule is not valid.", fields=problems)
        if AutomationRule.objects.filter(name=rule.name).exclude(pk=rule.pk).exists():
            raise InvalidInput("A rule with this name exists.", fields={"name": ["Choose another name."]})
        rule.updated_at = clock.now()
        rule.revision = (rule.revision or 0) + 1
        rule.save()
        return rule


def automation_rule_delete(*, rule: AutomationRule) -> None:
    """Delete an automation rule (its past events stay in the case logs)."""
    with transaction.atomic():
        AutomationRule.objects.filter(pk=rule.pk).delete()


def rule_touch(model, pk: int) -> None:
    """Raise a rule's revision after an edit made elsewhere (the admin saves through the model)."""
    model.objects.filter(pk=pk).update(revision=F("revision") + 1, updated_at=clock.now())
