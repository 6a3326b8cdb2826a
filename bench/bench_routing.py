"""Benchmark: routing + assignment of a new case with 200 active routing rules.

Seeds (idempotently) 10 teams of 8 agents with mixed strategies, skills, categories, an
SLA policy with targets per priority on a business-hours calendar, and 200 active routing
rules of mixed kinds (category, keywords, regex, custom fields, priority, channel,
organization tier). Each measured case is inserted as `case_create` inserts it before
routing (the row and its `created` event), untimed; then `case_route` is timed, each case
in its own transaction, and so is `case_route` followed by the start of the SLA clocks
(which `case_create` runs once routing has placed the case). The cases come in three
kinds, in turn:

- placed by rule 197, near the end of the list: team, a tag, an owner by the team's
  round robin (the scenario of the issue);
- placed by rule 198: the same plus the priority raised from P3 to P2, so the clocks
  start at P2's targets;
- left to the default rule after all 200 rules failed to match.

The whole `case_create` is timed too, for reference.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_routing.py [--cases 600] [--out FILE] [--show-sql]

Writes bench/results/routing.json (or --out).
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

from datetime import time as dtime  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from helpdesk.eventlog import Actor  # noqa: E402
from sla.models import Clock, Policy, TargetKind  # noqa: E402
from sla.services.policies import calendar_define, policy_define  # noqa: E402
from tickets.models import (  # noqa: E402
    OPEN_STATES, Case, CaseEvent, Category, EventKind, Organization, Product, Role, State, Tier, User, Visibility,
)
from tickets.services import integrations  # noqa: E402
from tickets.services.cases import case_create  # noqa: E402
from tickets.services.events import case_event_record  # noqa: E402
from workflows.models import Membership, RoutingRule, Skill, SkillKind, Strategy, Team  # noqa: E402
from workflows.selectors.facts import case_facts  # noqa: E402
from workflows.services.assignment import assignment_choose  # noqa: E402
from workflows.services.routing import case_route, routing_fields_used, routing_plan  # noqa: E402
from workflows.services.rules import routing_rule_save  # noqa: E402

PREFIX = "bench-routing"
STRATEGIES = [Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN, Strategy.SKILL_BASED]
PLACING_RULE = 197  # team, tag, owner
PRIORITY_RULE = 198  # the same and the priority: the SLA clocks are re-matched
KINDS = ("rule_197", "default_rule", "rule_198_priority")
# Business minutes per priority: first response, resolution.
TARGETS = {"P1": (30, 4 * 60), "P2": (2 * 60, 8 * 60), "P3": (4 * 60, 16 * 60), "P4": (8 * 60, 40 * 60)}


def rule_definition(n: int, teams: list, categories: list, products: list) -> tuple[list, dict]:
    """Return the conditions and actions of bench rule `n`.

    Rule 197 places the printer cases (team and a tag), rule 198 the outage cases (the
    same team, a tag and priority P2): nothing before them holds for those cases. The
    others are a mix of kinds the measured cases never meet, every one evaluated on the way.
    """
    team = teams[n % 10].slug
    if n == PLACING_RULE:
        return ([{"field": "text", "op": "contains", "value": ["printer jam", "paper jam"]},
                 {"field": "channel", "op": "in", "value": ["web", "email"]}],
                {"team": team, "add_tags": [f"r{n % 7}"]})
    if n == PRIORITY_RULE:
        return ([{"field": "text", "op": "contains", "value": ["outage", "down for everyone"]},
                 {"field": "channel", "op": "in", "value": ["web", "email"]}],
                {"team": teams[PLACING_RULE % 10].slug, "priority": "P2", "add_tags": [f"r{n % 7}"]})
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
    return conditions, ({"team": team, "add_tags": [f"r{n % 7}"]} if n % 2 else {"team": team})


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
    # Cases left open by earlier runs would raise every agent's load, and so the cost of
    # counting it, run after run: close them, so each run starts from the same loads.
    Case.objects.filter(requester=requester, state__in=OPEN_STATES).update(state=State.CLOSED)
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
    existing = {r.name: r for r in RoutingRule.objects.filter(name__startswith=PREFIX)}
    for n in range(200):
        name = f"{PREFIX} rule {n:03d}"
        conditions, actions = rule_definition(n, teams, categories, products)
        rule = existing.get(name)
        if rule is None or (rule.conditions, rule.actions, rule.position, rule.is_active) != (conditions, actions, n, True):
            routing_rule_save(rule=rule, name=name, position=n, conditions=conditions, actions=actions, is_active=True)
    if not Policy.objects.filter(name=f"{PREFIX} policy").exists():
        business = calendar_define(name=f"{PREFIX} office hours", time_zone="Europe/Dublin", holiday_country="IE",
                                   hours=[(d, dtime(9), dtime(17)) for d in range(5)])
        policy_define(name=f"{PREFIX} policy", position=10, tiers=[Tier.PREMIUM], breach_notify_manager=False,
                      targets=[(p, kind, minutes, business) for p, pair in TARGETS.items()
                               for kind, minutes in zip((TargetKind.FIRST_RESPONSE, TargetKind.RESOLUTION), pair)])
    return {"categories": categories, "products": products, "requester": requester, "org": org}


def new_case(i: int, ctx: dict) -> tuple[Case, CaseEvent]:
    """Insert a case as `case_create` does before routing: the row and its created event.

    By `i % 3`: placed by rule 197, left to the default rule, placed by rule 198.
    """
    subject, description = [
        (f"Printer jam on floor 3, ticket {i}", "The printer on floor 3 stops on every second page."),
        (f"Nothing in particular {i}", "Just a question."),
        (f"Outage of the portal {i}", "The portal is down for everyone in our office."),
    ][i % 3]
    case = Case.objects.create(
        subject=subject, description=description,
        requester=ctx["requester"], organization=ctx["org"], category=ctx["categories"][i % 20],
        product=ctx["products"][i % 10], priority="P3", channel="web", custom_fields={"plan": "basic", "seats": 10},
    )
    created = case_event_record(case=case, kind=EventKind.CREATED, actor=Actor.of(ctx["requester"]),
                                visibility=Visibility.PUBLIC,
                                after={"state": case.state, "subject": case.subject, "priority": case.priority,
                                       "channel": case.channel})
    return case, created


def check_paths(ctx: dict, actor: Actor, show_sql: bool) -> dict:
    """Route one case of each kind, check it took the intended path, and count its SQL statements."""
    counts = {}
    for i, kind in enumerate(KINDS):
        with transaction.atomic():
            case, created = new_case(i, ctx)
            with CaptureQueriesContext(connection) as queries:
                case_route(case=case, actor=actor, trigger="created")
            counts[kind] = len(queries)
            with CaptureQueriesContext(connection) as clock_queries:
                integrations.sla_case_changed(case=case, events=[created])
            counts[f"{kind}_clocks_start"] = len(clock_queries)
            if show_sql:
                print(f"-- {kind}: {len(queries)} statements", file=sys.stderr)
                for q in queries:
                    print("  " + q["sql"][:220], file=sys.stderr)
            written = list(CaseEvent.objects.filter(case=case).exclude(kind=EventKind.CREATED).order_by("id"))
            if kind == "default_rule":
                assert case.team_id is None and [e.kind for e in written] == ["sla", "sla"], written  # clocks only
                continue
            assert [e.kind for e in written][-2:] == ["sla", "sla"], written  # the clocks start after routing
            rule = PLACING_RULE if kind == "rule_197" else PRIORITY_RULE
            routing = next(e for e in written if e.kind == EventKind.ROUTING)
            assert routing.data["rule"] == f"{PREFIX} rule {rule:03d}", routing.data["rule"]
            assert case.team_id is not None and case.assignee_id is not None, case
            assert case.tags.filter(name=f"r{rule % 7}").exists()
            recomputed = [e for e in written if e.kind == EventKind.SLA and e.data.get("type") == "recomputed"]
            assert not recomputed, written  # nothing to re-match: the clocks start at the routed priority
            expected = "P2" if rule == PRIORITY_RULE else "P3"
            assert case.priority == expected and Clock.objects.filter(case=case, priority=expected).count() == 2
            counts[f"{kind}_events"] = [f"{e.kind}:{e.data.get('field') or e.data.get('type') or ''}" for e in written]
    return counts


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
            "min_ms": round(ordered[0], 3), "samples": len(ordered)}


def measure(ctx: dict, cases: int, show_sql: bool = False) -> dict:
    actor = Actor.of(ctx["requester"])
    for i in range(30):  # warm the compiled-rule cache and the connection
        with transaction.atomic():
            case_route(case=new_case(i, ctx)[0], actor=actor, trigger="created")
    counts = check_paths(ctx, actor, show_sql)
    routing_ms: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with_clocks_ms: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i in range(cases):
        with transaction.atomic():
            case, created = new_case(i, ctx)
            started = time.perf_counter()
            case_route(case=case, actor=actor, trigger="created")
            routed = time.perf_counter()
            integrations.sla_case_changed(case=case, events=[created])
            done = time.perf_counter()
            routing_ms[KINDS[i % 3]].append((routed - started) * 1000)
            with_clocks_ms[KINDS[i % 3]].append((done - started) * 1000)
    # The decision alone (rules matched, team resolved and locked, assignee chosen), without the writes.
    decide_ms: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i in range(cases):
        with transaction.atomic():
            case, _created = new_case(i, ctx)
            started = time.perf_counter()
            plan = routing_plan(facts=case_facts(case, needed=routing_fields_used()), lock=True)
            if plan.team is not None:
                assignment_choose(team=plan.team, case=case, team_locked=True)
            decide_ms[KINDS[i % 3]].append((time.perf_counter() - started) * 1000)
    create_ms = []
    for i in range(cases // 3):
        started = time.perf_counter()
        case_create(requester=ctx["requester"], subject=f"Printer jam, full create {i}", description="It jams.",
                    category=ctx["categories"][i % 20], actor=actor)
        create_ms.append((time.perf_counter() - started) * 1000)
    result = {f"route_and_assign_{kind}": summary(values) for kind, values in routing_ms.items()}
    result.update({f"route_assign_and_start_clocks_{kind}": summary(values) for kind, values in with_clocks_ms.items()})
    result.update({f"decision_only_{kind}": summary(values) for kind, values in decide_ms.items()})
    result["case_create_total_rule_197"] = summary(create_ms)
    result["queries_per_routing"] = counts
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=600, help="routed cases, a third of each kind")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "routing.json"))
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one routing of each kind")
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        print("warning: not PostgreSQL; the target is stated for PostgreSQL", file=sys.stderr)
    load_before = round(os.getloadavg()[0], 2)
    ctx = seed()
    result = measure(ctx, args.cases, show_sql=args.show_sql)
    result.update({
        "benchmark": "routing",
        "active_rules": RoutingRule.objects.filter(is_active=True).count(),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        # Judged on the cases a rule places, with their writes; a median over all kinds
        # would only show where the fast default-rule cases meet the slow ones.
        "target": "route_and_assign_rule_197 median < 5 ms",
        "met": result["route_and_assign_rule_197"]["median_ms"] < 5,
        "met_with_priority_change": result["route_and_assign_rule_198_priority"]["median_ms"] < 5,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_before": load_before,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
