import io

import pytest

from tests.factories import CategoryFactory, UserFactory
from tickets.models import Role
from tickets.services.cases import case_create
from workflows import demo_routing
from workflows.models import AutomationRule, EscalationPath, RoutingRule, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_routes(customer):
    CategoryFactory(slug="billing")
    UserFactory(role=Role.MANAGER)
    out = io.StringIO()
    demo_routing.seed(out)
    demo_routing.seed(out)
    assert "routing rules" in out.getvalue()
    assert RoutingRule.objects.filter(name="Billing and refunds to finance").count() == 1
    assert EscalationPath.objects.count() == 2 and AutomationRule.objects.count() == 3
    assert WebhookEndpoint.objects.get().is_active is False
    case = case_create(requester=customer, subject="Site outage: down for everyone")
    assert case.team.slug == "support-l2" and case.priority == "P1"
