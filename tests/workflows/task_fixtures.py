"""Fixtures shared by the task and problem tests: departments, a route, a worked case."""

import pytest

from helpdesk.celery import app as celery_app
from tests.factories import CaseFactory, MembershipFactory, TeamFactory, UserFactory
from tickets.models import Role
from tickets.services.cases import case_assign, case_create, case_transition
from workflows.models import Strategy, TeamKind
from workflows.services.routes import route_template_create


@pytest.fixture
def eager_celery():
    """Run Celery tasks in the calling process, as a worker would, for the test's length."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def department(name, slug):
    """A department whose tasks find their holder by load (the default strategy is manual)."""
    return TeamFactory(name=name, slug=slug, kind=TeamKind.DEPARTMENT, tier=None,
                       assignment_strategy=Strategy.LEAST_LOADED)


@pytest.fixture
def finance_team(db):
    return department("Finance", "finance")


@pytest.fixture
def engineering_team(db):
    return department("Engineering", "engineering")


@pytest.fixture
def qa_team(db):
    return department("QA", "qa")


def department_member(team, username):
    user = UserFactory(username=username, role=Role.DEPARTMENT)
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def engineer(engineering_team):
    return department_member(engineering_team, "erin")


@pytest.fixture
def tester(qa_team):
    return department_member(qa_team, "quinn")


@pytest.fixture
def billing_route(finance_team, engineering_team, qa_team, finance_member, engineer, tester, manager):
    return route_template_create(
        name="Billing defect", actor=manager,
        stages=[
            {"name": "Validate the problem", "department": finance_team},
            {"name": "Make the system change", "department": engineering_team},
            {"name": "Test the fix", "department": qa_team},
            {"name": "Roll out", "department": engineering_team},
        ],
    )


@pytest.fixture
def worked_case(customer, support_team, agent):
    """A case an agent is working: assigned and in progress."""
    case = case_create(requester=customer, subject="Invoice shows the wrong amount", team=support_team)
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    case.refresh_from_db()
    return case


__all__ = ["CaseFactory", "billing_route", "department", "department_member", "eager_celery", "engineer",
           "engineering_team", "finance_team", "qa_team", "tester", "worked_case"]
