"""Demo data for routing: team strategies, skills, routing rules, escalation paths,
automation rules and a (disabled) webhook endpoint. Idempotent: run it as often as you like.

`seed(stdout)` works on whatever teams, people and categories exist (the demo seed creates
them first) and creates the support and department teams it needs when they are missing.
"""

from __future__ import annotations

from django.db import transaction

from tickets.models import Category, Product, Role, User
from workflows.models import (
    AutomationRule,
    EscalationPath,
    Membership,
    PayloadFormat,
    RoutingRule,
    SkillKind,
    Strategy,
    Team,
    TeamKind,
    WebhookEndpoint,
)
from workflows.services.escalation import escalation_path_set
from workflows.services.rules import automation_rule_save, routing_rule_save
from workflows.services.teams import membership_save, skill_save, team_save

TEAMS = [
    # slug, name, kind, tier, time zone, strategy
    ("support-l1", "Support L1", TeamKind.SUPPORT, 1, "Europe/Berlin", Strategy.LEAST_LOADED),
    ("support-l2", "Support L2", TeamKind.SUPPORT, 2, "America/New_York", Strategy.SKILL_BASED),
    ("finance", "Finance", TeamKind.DEPARTMENT, None, "Europe/London", Strategy.ROUND_ROBIN),
    ("engineering", "Engineering", TeamKind.DEPARTMENT, None, "Asia/Singapore", Strategy.SKILL_BASED),
    ("product", "Product", TeamKind.DEPARTMENT, None, "America/Los_Angeles", Strategy.MANUAL),
]


def _team(slug, name, kind, tier, tz, strategy) -> Team:
    team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name=name).first()
    values = {"assignment_strategy": strategy, "default_capacity": 12,
              "assign_on_arrival": strategy != Strategy.MANUAL and kind == TeamKind.SUPPORT}
    if team is None:
        values.update(name=name, slug=slug, kind=kind, tier=tier, time_zone=tz)
    return team_save(team=team, **values)


def _existing(model, *slugs):
    found = {o.slug: o for o in model.objects.filter(slug__in=slugs)}
    return [found[s] for s in slugs if s in found]


def _rule(name, position, conditions, actions, description) -> None:
    rule = RoutingRule.objects.filter(name=name).first()
    routing_rule_save(rule=rule, name=name, position=position, conditions=conditions, actions=actions,
                      description=description)


@transaction.atomic
def seed(stdout) -> None:
    """Create or refresh the routing demo configuration and say what was done."""
    teams = {slug: _team(slug, name, kind, tier, tz, strategy) for slug, name, kind, tier, tz, strategy in TEAMS}
    l1, l2 = teams["support-l1"], teams["support-l2"]

    # Skills: L2 members each get a couple of the categories and products that exist.
    categories = list(Category.objects.filter(parent__isnull=True).order_by("id")[:6])
    products = list(Product.objects.order_by("id")[:4])
    for n, membership in enumerate(Membership.objects.filter(team=l2).select_related("user").order_by("user_id")):
        skills = [skill_save(kind=SkillKind.CATEGORY, code=c.slug, name=c.name) for c in categories[n % 3::3]]
        skills += [skill_save(kind=SkillKind.PRODUCT, code=p.slug, name=p.name) for p in products[n % 2::2]]
        skills.append(skill_save(kind=SkillKind.LANGUAGE, code=("de", "en", "fr")[n % 3]))
        membership_save(team=l2, user=membership.user, skills=skills, capacity=8)

    # Routing rules: only conditions on categories and products that exist are used.
    billing = _existing(Category, "billing", "refund", "refunds")
    technical = _existing(Category, "technical", "login", "outage")
    if billing:
        _rule("Billing and refunds to finance", 10,
              [{"field": "category", "op": "in", "value": [c.slug for c in billing]}],
              {"team": "finance", "add_tags": ["billing"]}, "Money questions go straight to finance.")
    _rule("Outage keywords are P1 for L2", 20,
          [{"field": "text", "op": "contains", "value": ["outage", "down for everyone", "data loss"]}],
          {"team": "support-l2", "priority": "P1", "add_tags": ["incident"]},
          "Reports that sound like an outage skip L1 and go to L2 as P1.")
    _rule("Enterprise customers to L2", 30, [{"field": "organization_tier", "op": "eq", "value": "enterprise"}],
          {"team": "support-l2", "priority": "P2"}, "Enterprise contracts promise second-line handling.")
    if technical:
        _rule("Technical questions to L1 by skill", 40,
              [{"field": "category", "op": "in", "value": [c.slug for c in technical]}],
              {"team": "support-l1", "strategy": Strategy.SKILL_BASED}, "Technical cases to L1, matched by skill.")
    _rule("Order numbers to L1", 50, [{"field": "subject", "op": "regex", "value": r"(?i)order\s*#?\d{5,}"}],
          {"team": "support-l1", "add_tags": ["order"]}, "Anything quoting an order number.")
    default = RoutingRule.objects.get(is_default=True)
    routing_rule_save(rule=default, actions={"team": "support-l1"})

    # Escalation: L1 -> L2 -> manager.
    manager = (User.objects.filter(role=Role.MANAGER, is_active=True, memberships__team=l2).first()
               or User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first())
    if manager is not None:
        for team in (l1, l2):
            if not Membership.objects.filter(team=team, user=manager).exists():
                membership_save(team=team, user=manager, role="manager")
    escalation_path_set(team=l1, tiers=[l2], manager=manager)
    escalation_path_set(team=l2, tiers=[], manager=manager)

    # Automation.
    for name, trigger, conditions, actions in [
        ("Escalate on resolution breach", "sla_breach", [{"field": "event.target", "op": "eq", "value": "resolution"}],
         [{"type": "escalate", "reason": "Resolution SLA breached"},
          {"type": "notify", "channel": "in_app", "to": ["team_lead", "assignee"], "title": "SLA breached"}]),
        ("Second reopen escalates", "case_transitioned",
         [{"field": "event.transition", "op": "eq", "value": "reopen"}, {"field": "reopen_count", "op": "gte", "value": 2}],
         [{"type": "escalate", "reason": "Reopened a second time"}]),
        ("Customer asks for a manager", "customer_commented",
         [{"field": "event.excerpt", "op": "contains", "value": ["speak to a manager", "your manager", "supervisor"]}],
         [{"type": "escalate", "reason": "The customer asked for a manager"}]),
    ]:
        rule = AutomationRule.objects.filter(name=name).first()
        automation_rule_save(rule=rule, name=name, trigger=trigger, conditions=conditions, actions=actions)

    WebhookEndpoint.objects.get_or_create(name="Ops channel (Slack)", defaults={
        "url": "https://hooks.slack.com/services/T000/B000/XXXX", "secret": "change-me",
        "event_types": ["case.escalation", "automation"], "payload_format": PayloadFormat.SLACK, "is_active": False})

    stdout.write(
        f"routing: {len(teams)} teams with strategies, {RoutingRule.objects.filter(is_active=True).count()} routing rules, "
        f"{EscalationPath.objects.count()} escalation paths, {AutomationRule.objects.count()} automation rules, "
        "1 webhook endpoint (disabled)\n"
    )
