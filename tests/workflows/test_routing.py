import pytest

from helpdesk.errors import InvalidInput
from tests.factories import AgentFactory, CategoryFactory, MembershipFactory, OrganizationFactory, ProductFactory, TeamFactory
from tickets.models import CaseEvent, EventKind, Tier
from tickets.services.cases import case_create, case_update
from workflows.models import RoutingRule, Strategy
from workflows.rules.schema import ROUTING_FIELDS
from workflows.services.routing import routing_rule_default
from workflows.services.rules import routing_rule_delete, routing_rule_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(db):
    return CategoryFactory(name="Billing", slug="billing")


@pytest.fixture
def refunds(billing):
    return CategoryFactory(name="Refunds", slug="refunds", parent=billing)


@pytest.fixture
def finance_desk(db):
    team = TeamFactory(name="Finance desk", slug="finance-desk", assignment_strategy=Strategy.LEAST_LOADED,
                       assign_on_arrival=True)
    MembershipFactory(team=team, user=AgentFactory(username="fiona"))
    return team


def rule(name, conditions, actions, position=10):
    return routing_rule_save(name=name, conditions=conditions, actions=actions, position=position)


def test_first_matching_rule_sets_team_priority_tags_and_assignee(customer, refunds, finance_desk):
    rule("Refunds to finance", [{"field": "category", "op": "eq", "value": "billing"}],
         {"team": "finance-desk", "priority": "P2", "add_tags": ["money"]})
    rule("Never reached", [], {"team": "finance-desk", "priority": "P4"}, position=20)
    case = case_create(requester=customer, subject="Refund please", category=refunds)
    assert case.team == finance_desk and case.priority == "P2" and case.assignee.username == "fiona"
    assert list(case.tags.values_list("name", flat=True)) == ["money"]
    routing = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert routing.actor_kind == "rule" and routing.actor_label == "Refunds to finance"
    assert routing.data["conditions"][0] == {"field": "category", "op": "eq", "value": "billing",
                                             "actual": ["billing", "refunds"], "held": True}
    assert routing.data["assignment"]["chosen_name"] == str(case.assignee)
    assignment = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNMENT)
    assert assignment.actor_label == "Refunds to finance" and "lightest load" in assignment.reason


@pytest.mark.parametrize("condition, case_kwargs, expected", [
    ({"field": "priority", "op": "eq", "value": "P1"}, {"priority": "P1"}, True),
    ({"field": "priority", "op": "ne", "value": "P1"}, {"priority": "P1"}, False),
    ({"field": "channel", "op": "in", "value": ["email", "phone"]}, {"channel": "phone"}, True),
    ({"field": "channel", "op": "not_in", "value": ["email"]}, {"channel": "email"}, False),
    ({"field": "subject", "op": "contains", "value": ["refund", "chargeback"]}, {"subject": "Chargeback on card"}, True),
    ({"field": "body", "op": "contains", "value": "invoice"}, {"description": "No INVOICE received"}, True),
    ({"field": "text", "op": "regex", "value": r"order #\d{5}"}, {"description": "about order #12345"}, True),
    ({"field": "custom.plan", "op": "eq", "value": "gold"}, {"custom_fields": {"plan": "gold"}}, True),
    ({"field": "custom.seats", "op": "gte", "value": 100}, {"custom_fields": {"seats": 250}}, True),
    ({"field": "form.device", "op": "eq", "value": "laptop"},
     {"custom_fields": {"form": {"slug": "hw", "answers": [{"name": "device", "label": "Device", "value": "Laptop"}]}}}, True),
    ({"field": "request_form", "op": "eq", "value": "hw"}, {"custom_fields": {"form": {"slug": "hw", "answers": []}}}, True),
    ({"field": "custom.plan", "op": "exists", "value": False}, {}, True),
    ({"field": "tags", "op": "in", "value": ["vip"]}, {"tags": ["vip"]}, True),
])
def test_each_condition_kind(customer, finance_desk, condition, case_kwargs, expected):
    rule("Under test", [condition], {"team": "finance-desk"})
    case = case_create(requester=customer, subject=case_kwargs.pop("subject", "Help"), **case_kwargs)
    assert (case.team == finance_desk) is expected


def test_organization_tier_customer_and_product_conditions(finance_desk):
    from tests.factories import CustomerFactory

    product = ProductFactory(slug="cards")
    enterprise = OrganizationFactory(tier=Tier.ENTERPRISE)
    person = CustomerFactory(email="ceo@bigco.example", organization=enterprise)
    rule("Enterprise cards", [
        {"field": "organization_tier", "op": "eq", "value": "enterprise"},
        {"field": "customer_domain", "op": "eq", "value": "bigco.example"},
        {"field": "product", "op": "eq", "value": "cards"},
    ], {"team": "finance-desk"})
    assert case_create(requester=person, subject="Card", product=product).team == finance_desk
    assert case_create(requester=person, subject="Card").team is None


def test_default_rule_always_exists_and_catches_the_rest(customer, support_team):
    from workflows.selectors.routing import case_routing_explanation

    case = case_create(requester=customer, subject="Anything")
    # Nothing changed, so nothing is recorded; the explanation says why.
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.ROUTING).exists() and case.team is None
    assert case_routing_explanation(case)["decision"]["rule"] == routing_rule_default().name
    routing_rule_save(rule=routing_rule_default(), actions={"team": "support-l1"})
    case = case_create(requester=customer, subject="Anything else")
    event = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert event.data["rule"] == routing_rule_default().name and case.team == support_team
    with pytest.raises(Exception):
        routing_rule_delete(rule=routing_rule_default())
    with pytest.raises(InvalidInput):
        routing_rule_save(rule=routing_rule_default(), is_active=False)


@pytest.mark.parametrize("conditions, actions, message", [
    ([{"field": "colour", "op": "eq", "value": "red"}], {}, "unknown field 'colour'"),
    ([{"field": "priority", "op": "gt", "value": 2}], {}, "wrong type"),
    ([{"field": "subject", "op": "regex", "value": "(unclosed"}], {}, "invalid regular expression"),
    ([], {"team": "no-such-team"}, "does not exist"),
    ([{"field": "priority", "op": "eq", "value": "P9"}], {}, "no priority called 'P9'"),
    ([], {"colour": "red"}, "unknown action 'colour'"),
    ([{"field": "channel", "op": "in", "value": "email"}], {}, "wrong type"),
])
def test_bad_rules_are_refused_with_a_clear_message(conditions, actions, message):
    with pytest.raises(InvalidInput) as info:
        rule("Bad", conditions, actions)
    assert message in str(info.value.extra["fields"])
    assert not RoutingRule.objects.filter(name="Bad").exists()


def test_a_rule_failing_at_run_time_is_recorded_and_skipped(customer, finance_desk):
    rule("Seats", [{"field": "custom.seats", "op": "gt", "value": 10}], {"team": "finance-desk"})
    case = case_create(requester=customer, subject="Help", custom_fields={"seats": "many"})
    event = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert event.data["skipped_rules"][0]["rule"] == "Seats"
    assert event.data["rule"] == routing_rule_default().name


def test_a_rule_whose_team_vanished_is_skipped_and_the_case_lands_in_the_default_queue(customer, finance_desk):
    rule("To finance", [], {"team": "finance-desk"})
    finance_desk.is_active = False
    finance_desk.save()
    case = case_create(requester=customer, subject="Help")
    event = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert "no longer exists" in event.data["skipped_rules"][0]["error"] and case.team is None


def test_case_raised_for_a_team_keeps_it_and_gets_an_assignee_by_its_strategy(customer, finance_desk):
    rule("Everything elsewhere", [], {"team": "finance-desk"})
    other = TeamFactory(slug="fulfilment", assignment_strategy=Strategy.ROUND_ROBIN, assign_on_arrival=True)
    MembershipFactory(team=other, user=AgentFactory(username="otto"))
    case = case_create(requester=customer, subject="Laptop request", team=other)
    assert case.team == other and case.assignee.username == "otto"
    event = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert event.data["kept_team"] is True and "raised for" in event.reason


def test_reclassification_reroutes(customer, billing, finance_desk, agent):
    rule("Billing", [{"field": "category", "op": "eq", "value": "billing"}], {"team": "finance-desk"})
    case = case_create(requester=customer, subject="Help")
    assert case.team is None
    case_update(case=case, actor=agent, changes={"category": billing})
    case.refresh_from_db()
    assert case.team == finance_desk
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ROUTING, data__trigger="reclassified").exists()


def test_schema_field_list_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "routing.md").read_text()
    assert all(f"`{name}`" in doc for name in ROUTING_FIELDS)
