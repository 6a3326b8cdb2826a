"""Demo data for tasks, routes and problems: `seed(stdout)`, safe to run again.

Uses the demo teams and people when `seed_demo` made them, and creates what is missing
(departments, a member each, an agent, customers) so it also runs on its own.
"""

from __future__ import annotations

from django.db import transaction

from helpdesk.eventlog import Actor
from tickets.models import Case, Role, State, User
from tickets.services.cases import case_assign, case_create, case_transition
from workflows.models import Membership, Problem, RouteTemplate, Task, Team, TeamKind
from workflows.services.problems import problem_create, problem_fix, problem_link, problem_workaround_set
from workflows.services.routes import route_template_create
from workflows.services.tasks import task_create, task_transition

DEMO_PASSWORD = "demo-Pass-123"
DEPARTMENTS = [("finance", "Finance", "Europe/London"), ("engineering", "Engineering", "America/New_York"),
               ("qa", "QA", "Asia/Kolkata"), ("product", "Product", "Europe/Berlin")]


def seed(stdout) -> None:
    """Create route templates, routed tasks at every stage, and a few problems, once."""
    if RouteTemplate.objects.filter(slug="billing-defect").exists():
        stdout.write("tasks demo: already there\n")
        return
    with transaction.atomic():
        teams = {slug: _team(slug, name, tz) for slug, name, tz in DEPARTMENTS}
        members = {slug: _member(team, f"{slug}-demo") for slug, team in teams.items()}
        support = Team.objects.filter(kind=TeamKind.SUPPORT).order_by("tier", "pk").first() or _team(
            "support-l1", "Support L1", "UTC", kind=TeamKind.SUPPORT)
        agent = User.objects.filter(memberships__team=support, role=Role.AGENT, is_active=True).first() or _member(
            support, "agent-demo", role=Role.AGENT)
        manager = User.objects.filter(role=Role.MANAGER, is_active=True).first() or agent
        billing = route_template_create(name="Billing defect", actor=manager, stages=[
            {"name": "Validate the problem", "department": teams["finance"]},
            {"name": "Make the system change", "department": teams["engineering"]},
            {"name": "Test the fix", "department": teams["qa"]},
            {"name": "Roll out", "department": teams["engineering"]},
        ])
        docs = route_template_create(name="Wrong instructions", actor=manager, stages=[
            {"name": "Confirm the mistake", "department": teams["qa"]},
            {"name": "Correct the documentation", "department": teams["product"]},
        ])
        customers = [_customer(f"demo-customer-{i}") for i in range(1, 6)]
        cases = [_worked_case(customers[i % 5], support, agent, subject) for i, subject in enumerate([
            "Invoice shows the wrong amount", "Charged twice for one order", "VAT missing on invoice",
            "Refund not received", "Setup guide step 4 is wrong", "Export button does nothing",
        ])]
        # Tasks at different points of their routes, so queues, boards and reports have content.
        for i, case in enumerate(cases[:4]):
            task = task_create(case=case, department=teams["finance"], title=f"Correct billing for {case.reference}",
                               actor=agent, route_template=billing)
            for _ in range(i):
                holder = Task.objects.get(pk=task.pk).assignee
                task_transition(task=task, name="accept", actor=holder)
                task_transition(task=task, name="advance", actor=holder)
        task_create(case=cases[4], department=teams["qa"], title="Fix step 4 of the setup guide", actor=agent,
                    route_template=docs)
        done = task_create(case=cases[5], department=teams["engineering"], title="Export button broken", actor=agent)
        task_transition(task=done, name="start", actor=done.assignee)
        task_transition(task=done, name="complete", actor=done.assignee)
        double = problem_create(title="Card payments taken twice", actor=members["engineering"],
                                department=teams["engineering"], keywords="charged twice, double charge, twice",
                                summary="Some card payments were captured twice on 3 November.")
        problem_workaround_set(problem=double, actor=members["engineering"],
                               workaround="The second charge is released by your bank within 5 days; no action needed.")
        problem_link(problem=double, case=cases[1], actor=agent)
        export = problem_create(title="CSV export fails for large accounts", actor=members["engineering"],
                                department=teams["engineering"], keywords="export")
        problem_link(problem=export, case=cases[5], actor=agent)
        problem_fix(problem=export, actor=members["engineering"],
                    resolution="Export now streams large files; please try again.")
    stdout.write(f"tasks demo: {RouteTemplate.objects.count()} routes, {Task.objects.count()} tasks, "
                 f"{Problem.objects.count()} problems; department logins {', '.join(m.username for m in members.values())} "
                 f"(password {DEMO_PASSWORD})\n")


def _team(slug: str, name: str, tz: str, kind: str = TeamKind.DEPARTMENT) -> Team:
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind, "time_zone": tz})
    return team


def _member(team: Team, username: str, role: str = Role.DEPARTMENT) -> User:
    existing = User.objects.filter(memberships__team=team, role=role, is_active=True).first()
    if existing is not None:
        return existing
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD, role=role,
                                        email=f"{username}@example.com", first_name=team.name, last_name="Demo")
    Membership.objects.get_or_create(team=team, user=user)
    return user


def _customer(username: str) -> User:
    user = User.objects.filter(username=username).first()
    return user or User.objects.create_user(username=username, password=DEMO_PASSWORD, role=Role.CUSTOMER,
                                            email=f"{username}@example.com")


def _worked_case(customer: User, team: Team, agent: User, subject: str) -> Case:
    case = case_create(requester=customer, subject=subject, team=team, description="Seen on the demo account.")
    case_assign(case=case, assignee=agent, actor=Actor.system("demo"))
    case_transition(case=case, name="start", actor=Actor.system("demo"))
    return Case.objects.get(pk=case.pk) if case.state != State.IN_PROGRESS else case
