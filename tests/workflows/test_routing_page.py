"""The case page says which rule placed the case, what held and why this person."""

import pytest
from django.test import Client

from tests.factories import AgentFactory, CategoryFactory, MembershipFactory, TeamFactory
from tickets.services.cases import case_create
from workflows.models import Strategy
from workflows.services.rules import routing_rule_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_case(customer):
    billing = CategoryFactory(name="Billing", slug="billing")
    team = TeamFactory(name="Finance desk", slug="finance-desk", assignment_strategy=Strategy.LEAST_LOADED,
                       assign_on_arrival=True)
    fiona = AgentFactory(username="fiona", first_name="Fiona", last_name="Reyes")
    MembershipFactory(team=team, user=fiona)
    routing_rule_save(name="Billing to finance", conditions=[{"field": "category", "op": "eq", "value": "billing"}],
                      actions={"team": "finance-desk"}, position=10)
    return case_create(requester=customer, subject="Charged twice", category=billing), fiona


def _page(user, case):
    client = Client()
    client.force_login(user)
    return client.get(f"/desk/cases/{case.reference}/")


def test_the_case_page_explains_the_rule_the_conditions_and_the_owner(routed_case):
    case, fiona = routed_case
    html = _page(fiona, case).content.decode()
    assert "Why it is here" in html
    assert "Billing to finance" in html
    assert "category eq billing" in html
    assert "Fiona Reyes" in html and "least_loaded" in html


def test_staff_of_another_team_and_customers_do_not_get_the_explanation(routed_case, customer, l2_agent):
    case, _ = routed_case
    assert _page(l2_agent, case).status_code == 404
    portal = Client()
    portal.force_login(customer)
    response = portal.get(f"/portal/cases/{case.reference}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Charged twice" in html
    assert "Billing to finance" not in html and "Why it is here" not in html
