"""Benchmark: routing + assignment of a new case with 200 active routing rules.

Seeds (idempotently) 10 teams of 8 agents with mixed strategies, skills, categories and
200 active routing rules of mixed kinds (category, keywords, regex, custom fields,
priority, channel, organization tier), then measures `case_route` for freshly inserted
cases, each in its own transaction (as `case_create` runs it), and the whole
`case_create` for reference. Half the cases match a rule near the end of the list; the
other half fall through all 200 rules to the default rule.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_routing.py [--cases 400]

Writes bench/results/routing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from helpdesk.eventlog import Actor  # noqa: E402
from tickets.models import Case, Category, Organization, Product, Role, Tier, User  # noqa: E402
from tickets.services.cases import case_create  # noqa: E402
from workflows.models import Membership, RoutingRule, Skill, SkillKind, Strategy, Team  # noqa: E402
from workflows.selectors.facts import case_facts  # noqa: E402
from workflows.services.assignment import assignment_choose  # noqa: E402
from workflows.services.routing import case_route, routing_fields_used, routing_plan  # noqa: E402
from workflows.services.rules import routing_rule_save  # noqa: E402

PREFIX = "bench-routing"
STRATEGIES = [Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN, Strategy.SKILL_BASED]


def seed() -> dict:
    """Create teams, people, categories, products and 200 rules once; return what the cases need."""
    categories = [Category.objects.get_or_create(slug=f"{PREFIX}-cat-{i}", defaults={"name": f"Bench category {i}"})[0]
                  for i in range(20)]
    products = [Product.objects.get_or_create(slug=f"{PREFIX}-prod-{i}", defaults={"name": f"Bench product {i}"})[0]
                for i in range(10)]
    org = Organization.objects.get_or_create(name=f"{PREFIX} org", defaults={"tier": Tier.PREMIUM})[0]
    requester = User.objects.get_or_create(username=f"{PREFIX}-customer",
                                           defaults={"role": Role.CUSTOMER, "organization": org,
                                                     "email": "bench@example.com"})[0]
    teams = []
    for t in range(10):
        team, _ = Team.objects.get_or_create(slug=f"{PREFIX}-team-{t}", defaults={
            "name": f"Bench team {t}", "assignment_strategy": STRATEGIES[t % 3], "default_capacity": 0,
            "assign_on_arrival": True})
        teams.append(team)
        for a in range(8):
            agent, _ = User.objects.get_or_create(username=f"{PREFIX}-agent-{t}-{a}", defaults={"role": Role.AGENT})
            membership, _ = Membership.objects.get_or_create(team=team, user=agent)
            skill = Skill.objects.get_or_create(kind=SkillKind.CATEGORY, code=categories[(t + a) % 20].slug)[0]
            membership.skills.add(skill)
    existing = RoutingRule.objects.filter(name__startswith=PREFIX, is_active=True).count()
    for n in range(existing, 200):
        team = teams[n % 10].slug
        kind = n % 6
        if kind == 0:
            conditions = [{"field": "category", "op": "eq", "value": categories[n % 20].slug},
                          {"field": "priority", "op": "in", "value": ["P1", "P2"]}]
        elif kind == 1:
            conditions = [{"field": "text", "op": "contains", "value": [f"keyword{n}", f"phrase {n}"]}]
        elif kind == 2:
            conditions = [{"field": "subject", "op": "regex", "value": rf"^ORDER-{n}-\d+"}]
        elif kind == 3:
            conditions = [{"field": "custom.plan", "op": "eq", "value": f"plan-{n}"},
                          {"field": "organization_tier", "op": "eq", "value": "enterprise"}]
        elif kind == 4:
            conditions = [{"field": "product", "op": "eq", "value": products[n % 10].slug},
                          {"field": "channel", "op": "eq", "value": "phone"}]
        else:
            conditions = [{"field": "custom.seats", "op": "gte", "value": 1000 + n}]
        routing_rule_save(name=f"{PREFIX} rule {n:03d}", position=n, conditions=conditions,
                          actions={"team": team, "add_tags": [f"r{n % 7}"]} if n % 2 else {"team": team})
    return {"categories": categories, "products": products, "requester": requester, "org": org}


def new_case(i: int, ctx: dict) -> Case:
    """Insert a bare case: even ones match rule 197 (near the end), odd ones fall through to the default."""
    matches = i % 2 == 0
    return Case.objects.create(
        subject=f"keyword197 printer jam {i}" if matches else f"Nothing in particular {i}",
        description="The printer on floor 3 jams on every second page.",
        requester=ctx["requester"], organization=ctx["org"], category=ctx["categories"][i % 20],
        product=ctx["products"][i % 10], priority="P3", channel="web", custom_fields={"plan": "basic", "seats": 10},
    )


def measure(ctx: dict, cases: int) -> dict:
    actor = Actor.of(ctx["requester"])
    routing_ms, create_ms = [], []
    for i in range(20):  # warm the compiled-rule cache and the connection
        with transaction.atomic():
            case_route(case=new_case(i, ctx), actor=actor, trigger="created")
    counts = []
    for i in (0, 1):
        with transaction.atomic():
            case = new_case(i, ctx)
            with CaptureQueriesContext(connection) as queries:
                case_route(case=case, actor=actor, trigger="created")
            counts.append(len(queries))
    matched_queries, default_queries = counts
    for i in range(cases):
        with transaction.atomic():
            case = new_case(i, ctx)
            started = time.perf_counter()
            case_route(case=case, actor=actor, trigger="created")
            routing_ms.append((time.perf_counter() - started) * 1000)
    # The decision alone (rules matched, team resolved, assignee chosen), without the writes.
    decide_ms = []
    for i in range(cases):
        with transaction.atomic():
            case = new_case(i, ctx)
            started = time.perf_counter()
            plan = routing_plan(facts=case_facts(case, needed=routing_fields_used()), lock=True)
            if plan.team is not None:
                assignment_choose(team=plan.team, case=case, team_locked=True)
            decide_ms.append((time.perf_counter() - started) * 1000)
    for i in range(cases // 2):
        started = time.perf_counter()
        case_create(requester=ctx["requester"], subject=f"keyword197 full create {i}", description="Printer jam",
                    category=ctx["categories"][i % 20], actor=actor)
        create_ms.append((time.perf_counter() - started) * 1000)

    def summary(values):
        ordered = sorted(values)
        return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
                "min_ms": round(ordered[0], 3), "samples": len(ordered)}

    return {"route_and_assign": summary(routing_ms),
            "route_and_assign_matched_rule": summary(routing_ms[0::2]),
            "route_and_assign_default_rule": summary(routing_ms[1::2]),
            "decision_only": summary(decide_ms),
            "case_create_total": summary(create_ms),
            "queries_per_routing": {"matched_rule_197": matched_queries, "fell_through_to_default": default_queries}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        print("warning: not PostgreSQL; the target is stated for PostgreSQL", file=sys.stderr)
    ctx = seed()
    result = measure(ctx, args.cases)
    result.update({
        "benchmark": "routing",
        "active_rules": RoutingRule.objects.filter(is_active=True).count(),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "target": "route_and_assign median < 5 ms",
        "met": result["route_and_assign"]["median_ms"] < 5,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    out = ROOT / "bench" / "results" / "routing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
