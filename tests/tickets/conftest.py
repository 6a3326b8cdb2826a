"""Cases in each state, made through the services the way users make them."""

import pytest

from tests.factories import CustomerFactory
from tickets.services.cases import case_assign, case_create, case_transition

# The way from a new case to each state, as (service, arguments) steps taken by the agent.
PATHS = {
    "new": [],
    "triaged": ["triage"],
    "assigned": ["assign"],
    "in_progress": ["assign", "start"],
    "waiting_on_customer": ["assign", "wait_on_customer"],
    "waiting_on_internal": ["assign", "wait_on_internal"],
    "resolved": ["assign", "start", "resolve"],
    "closed": ["assign", "start", "resolve", "close"],
    "cancelled": ["cancel"],
}


@pytest.fixture
def org_admin(organization):
    return CustomerFactory(username="olga", organization=organization, is_org_admin=True)


@pytest.fixture
def colleague(organization):
    """A customer of the same organization who does not administer it."""
    return CustomerFactory(username="colin", organization=organization)


@pytest.fixture
def case(customer, support_team):
    return case_create(requester=customer, subject="Card declined", description="At the shop", team=support_team)


@pytest.fixture
def case_in(customer, support_team, agent):
    """Return a function making a case of `customer` in the support team in a given state."""

    def make(state: str, **kwargs):
        case = case_create(
            requester=kwargs.pop("requester", customer), subject=kwargs.pop("subject", f"A case {state}"),
            team=kwargs.pop("team", support_team), **kwargs,
        )
        for step in PATHS[state]:
            if step == "assign":
                case_assign(case=case, assignee=agent, actor=agent)
            else:
                case_transition(case=case, name=step, actor=agent)
        case.refresh_from_db()
        assert case.state == state
        return case

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are made with passwords; the real hasher costs a large share of each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
