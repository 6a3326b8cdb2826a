"""Checks of routing and automation rules against the schema and what exists in the database.

Used by the models' `clean()` (admin), the API and the services, so a bad rule is refused
with the same message wherever it is saved.
"""

from __future__ import annotations

from tickets.models import TRANSITION_LABELS, Category, Channel, Priority, Product, State, Tier, User
from tickets.models.people import STAFF_ROLES
from workflows.models import Strategy, Team, Trigger
from workflows.rules import schema


def _lookups(*, users: bool = False) -> schema.Lookups:
    return schema.Lookups(
        teams=list(Team.objects.filter(is_active=True).values_list("slug", flat=True)),
        users=list(User.objects.filter(is_active=True, role__in=STAFF_ROLES).values_list("username", flat=True))
        if users else (),
        categories=list(Category.objects.values_list("slug", flat=True)),
        products=list(Product.objects.values_list("slug", flat=True)),
        transitions=list(TRANSITION_LABELS),
        choices={"priority": Priority.values, "channel": Channel.values, "organization_tier": Tier.values,
                 "state": State.values},
    )


def routing_rule_problems(*, conditions, actions, is_default: bool = False) -> dict[str, list[str]]:
    """Return field -> messages for a routing rule that cannot be saved (empty when fine)."""
    lookups = _lookups()
    problems = {}
    errors = schema.check_conditions(conditions, fields=schema.ROUTING_FIELDS, prefixes=schema.ROUTING_PREFIXES,
                                     lookups=lookups)
    if is_default and conditions:
        errors.append("The default rule has no conditions: it catches every case no other rule takes.")
    if errors:
        problems["conditions"] = errors
    errors = schema.check_routing_actions(actions, lookups=lookups, strategies=Strategy.values)
    if errors:
        problems["actions"] = errors
    return problems


def automation_rule_problems(*, trigger, conditions, actions) -> dict[str, list[str]]:
    """Return field -> messages for an automation rule that cannot be saved (empty when fine)."""
    lookups = _lookups(users=True)
    problems = {}
    if trigger not in Trigger.values:
        problems["trigger"] = [f"Unknown trigger {trigger!r}. Use one of {', '.join(Trigger.values)}."]
    errors = schema.check_conditions(conditions, fields=schema.AUTOMATION_FIELDS,
                                     prefixes=schema.AUTOMATION_PREFIXES, lookups=lookups)
    if errors:
        problems["conditions"] = errors
    errors = schema.check_automation_actions(actions, lookups=lookups)
    if errors:
        problems["actions"] = errors
    return problems
