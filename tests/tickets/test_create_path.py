"""A customer's case creation through the API: what it writes, and the few statements it takes.

Products, categories and the caller's organization come without a query (the per-process
copies of `tickets.reference` and the token authentication's join); when routing leaves the
case as it is, the case with its tags, its clocks and all its events go as one statement.
"""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.models import Clock
from sla.services.policies import calendar_define, policy_define
from tests.factories import CategoryFactory, OrganizationFactory, ProductFactory
from tickets.models import CaseEvent, EventKind, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise_policy():
    always = calendar_define(name="Around the clock", always=True, time_zone="UTC")
    office = calendar_define(name="Office", time_zone="Europe/Dublin",
                             hours=[(d, time(9), time(17)) for d in range(5)])
    policy_define(name="Enterprise", position=10, tiers=["enterprise"],
                  targets=[(p, kind, 60, always) for p in ("P1", "P2", "P3", "P4")
                           for kind in ("first_response", "resolution")])
    policy_define(name="Standard", position=100, is_default=True,
                  targets=[(p, kind, 480, office) for p in ("P1", "P2", "P3", "P4")
                           for kind in ("first_response", "resolution")])


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def test_creation_reads_nothing_it_already_knows(token_client, customer, enterprise_policy):
    customer.organization = OrganizationFactory(name="Globex", tier="enterprise")
    customer.save()
    billing = CategoryFactory(name="Billing", slug="billing")
    refunds = CategoryFactory(name="Refunds", slug="refunds", parent=billing)
    product = ProductFactory(name="Payroll")
    Tag.objects.create(name="vip")
    body = {"subject": "Refund twice", "product": product.pk, "category": refunds.pk, "priority": "P2",
            "tags": ["vip", "urgent"]}
    assert token_client.post("/api/v1/cases/", {**body, "tags": []}, format="json").status_code == 201  # warm

    with CaptureQueriesContext(connection) as queries:
        response = token_client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    statements = _statements(queries)
    # The token with its user and organization was verified by the request before (and is
    # trusted for API_TOKEN_CACHE_SECONDS); then one statement: the case with its tags (the new
    # tag "urgent" made there too), its two clocks and all its events.
    known = ("tickets_product", "tickets_category", "tickets_organization", "tickets_user", "sla_policy")
    assert not [s for s in statements if s.startswith("SELECT") and "authtoken_token" not in s
                and any(f'FROM "{table}"' in s for table in known)], statements
    if connection.vendor == "postgresql":
        assert len(statements) == 1, statements

    assert answer["product"]["name"] == "Payroll" and answer["category"]["name"] == "Billing › Refunds"
    assert answer["organization"] == {"id": customer.organization_id, "name": "Globex", "tier": "enterprise"}
    assert answer["tags"] == ["urgent", "vip"]
    assert answer == token_client.get(f"/api/v1/cases/{answer['reference']}/").json()
    # The enterprise tier picked the policy: clocks of 60 minutes around the clock.
    clocks = Clock.objects.filter(case_id=answer["id"])
    assert sorted(c.target_seconds for c in clocks) == [3600, 3600]
    # The event log starts with `created`, then the clocks that started.
    events = list(CaseEvent.objects.filter(case_id=answer["id"]).order_by("id"))
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.SLA, EventKind.SLA]
    # Each "started" event names its clock's row, as every SLA event does.
    assert {(e.data["target"], e.data["clock"]) for e in events[1:]} == {(c.kind, c.pk) for c in clocks}
    assert set(Tag.objects.filter(cases__id=answer["id"]).values_list("name", flat=True)) == {"vip", "urgent"}


def test_a_case_with_no_policy_and_no_routing_still_has_its_created_event(token_client):
    response = token_client.post("/api/v1/cases/", {"subject": "Hello"}, format="json")
    assert response.status_code == 201
    events = CaseEvent.objects.filter(case_id=response.json()["id"])
    assert [e.kind for e in events] == [EventKind.CREATED]
    assert events[0].after["subject"] == "Hello" and events[0].visibility == "public"


def test_products_and_categories_edited_here_are_seen_at_once(token_client):
    first = ProductFactory(name="Ledger")
    assert token_client.post("/api/v1/cases/", {"subject": "a", "product": first.pk}, format="json").status_code == 201
    second = ProductFactory(name="Invoices")  # made after this process loaded its copy
    response = token_client.post("/api/v1/cases/", {"subject": "b", "product": second.pk}, format="json")
    assert response.status_code == 201 and response.json()["product"]["name"] == "Invoices"
    first.is_active = False
    first.save()
    response = token_client.post("/api/v1/cases/", {"subject": "c", "product": first.pk}, format="json")
    assert response.status_code == 400 and "product" in response.json()["fields"]
    retired = CategoryFactory(name="Old", is_active=False)
    response = token_client.post("/api/v1/cases/", {"subject": "d", "category": retired.pk}, format="json")
    assert response.status_code == 400 and "category" in response.json()["fields"]


@pytest.mark.parametrize("value", [True, 1.5, "1x", [1], {"id": 1}, -1])
def test_a_product_that_is_no_id_is_refused(token_client, value):
    ProductFactory()
    response = token_client.post("/api/v1/cases/", {"subject": "a", "product": value}, format="json")
    assert response.status_code == 400 and "product" in response.json()["fields"]


def test_a_token_of_an_inactive_user_is_refused(token_client, customer):
    customer.is_active = False
    customer.save()
    response = token_client.post("/api/v1/cases/", {"subject": "a"}, format="json")
    assert response.status_code == 401


def test_a_case_without_tags_is_answered_without_asking_for_its_tags(token_client, enterprise_policy):
    assert token_client.post("/api/v1/cases/", {"subject": "Warm"}, format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = token_client.post("/api/v1/cases/", {"subject": "No tags here"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == []
    statements = _statements(queries)
    assert not [s for s in statements if "tickets_tag" in s], statements
    if connection.vendor == "postgresql":
        # The token verified by the request before; the case, its two clocks and its events.
        assert len(statements) == 1, statements


def test_with_no_token_window_every_creation_verifies_its_token(token_client, enterprise_policy, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    assert token_client.post("/api/v1/cases/", {"subject": "Warm"}, format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = token_client.post("/api/v1/cases/", {"subject": "Asks again"}, format="json")
    assert response.status_code == 201, response.content
    statements = _statements(queries)
    assert "authtoken_token" in statements[0], statements
    if connection.vendor == "postgresql":
        # The token with its user and organization; the case, its two clocks and its events.
        assert len(statements) == 2, statements
