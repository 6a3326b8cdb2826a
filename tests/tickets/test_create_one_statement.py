"""A new case that routing leaves as it is goes to PostgreSQL as one statement: case, tags, clocks, events.

Outside a transaction PostgreSQL runs that statement as one implicit transaction, so the case is
written whole or not at all; routing that places the case, or attachments, take the general
path (the case first, then routing, then the clocks, in one transaction).
"""

from datetime import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from sla.models import Clock
from sla.services.policies import calendar_define, policy_define
from tests.factories import CustomerFactory, ProductFactory, TeamFactory
from tickets.models import Case, CaseEvent, EventKind, Product, Tag
from tickets.services.cases import case_create
from workflows.services.rules import routing_rule_save


@pytest.fixture
def policy(db):
    always = calendar_define(name="Around the clock", always=True, time_zone="UTC")
    office = calendar_define(name="Office", time_zone="Europe/Dublin", hours=[(d, time(9), time(17)) for d in range(5)])
    policy_define(name="Standard", position=100, is_default=True,
                  targets=[(p, kind, 480, office) for p in ("P1", "P2", "P3", "P4")
                           for kind in ("first_response", "resolution")])
    return always


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SELECT"))]


def _written_as_the_general_path_writes(case: Case, tags: set[str]) -> None:
    stored = Case.objects.get(pk=case.pk)
    assert (stored.subject, stored.state, stored.priority) == (case.subject, "new", case.priority)
    assert set(stored.tags.values_list("name", flat=True)) == tags
    assert [t.name for t in case.tags.all()] == sorted(tags)  # remembered: no query to render them
    clocks = {c.kind: c for c in Clock.objects.filter(case=case)}
    assert set(clocks) == {"first_response", "resolution"} and all(c.case_id == case.pk for c in clocks.values())
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.SLA, EventKind.SLA]
    assert events[0].after == {"state": "new", "subject": case.subject, "priority": case.priority,
                               "channel": case.channel}
    # Each "started" event names its clock's row, in the database and on the instance.
    assert {(e.data["target"], e.data["clock"]) for e in events[1:]} == {(k, c.pk) for k, c in clocks.items()}


@pytest.mark.django_db
def test_a_case_routing_leaves_as_it_is_is_written_in_one_statement(needs_postgres, customer, policy):
    Tag.objects.create(name="vip")
    with CaptureQueriesContext(connection) as queries:
        case = case_create(requester=customer, subject="Invoice missing", priority="P2", tags=["vip", "new-tag"])
    assert len(_writes(queries)) == 1, _writes(queries)
    assert case.pk is not None and not case._state.adding
    _written_as_the_general_path_writes(case, {"vip", "new-tag"})


@pytest.mark.django_db
def test_a_case_routing_places_is_written_first_then_routed(needs_postgres, customer, policy):
    TeamFactory(name="Money", slug="money")
    routing_rule_save(name="Invoices to money", conditions=[{"field": "subject", "op": "contains", "value": "invoice"}],
                      actions={"team": "money", "priority": "P1", "add_tags": ["billing"]}, position=10)
    with CaptureQueriesContext(connection) as queries:
        case = case_create(requester=customer, subject="Invoice missing", priority="P3")
    assert len(_writes(queries)) > 1
    stored = Case.objects.get(pk=case.pk)
    assert stored.team.slug == "money" and stored.priority == "P1"
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds[:2] == [EventKind.CREATED, EventKind.ROUTING] and kinds.count(EventKind.SLA) == 2
    # The clocks started at the priority routing chose.
    assert set(Clock.objects.filter(case=case).values_list("priority", flat=True)) == {"P1"}
    # The same subject without the rule's word: routing leaves it, one statement.
    with CaptureQueriesContext(connection) as queries:
        case_create(requester=customer, subject="Password reset", priority="P3")
    assert len(_writes(queries)) == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_statement_is_written_whole_or_not_at_all(needs_postgres, policy):
    customer = CustomerFactory()
    assert not connection.in_atomic_block
    case = case_create(requester=customer, subject="Committed as one", tags=["first-tag"])
    _written_as_the_general_path_writes(case, {"first-tag"})

    gone = ProductFactory(name="Retired")
    Product.objects.filter(pk=gone.pk).delete()  # the foreign key fails when the statement commits
    counts = (Case.objects.count(), CaseEvent.objects.count(), Clock.objects.count(), Tag.objects.count())
    with pytest.raises(IntegrityError):
        case_create(requester=customer, subject="Never written", product=gone, tags=["second-tag"])
    assert (Case.objects.count(), CaseEvent.objects.count(), Clock.objects.count(), Tag.objects.count()) == counts
    assert not Tag.objects.filter(name="second-tag").exists()
    # The connection is fine afterwards.
    assert case_create(requester=customer, subject="After the failure").pk > case.pk


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_is_part_of_it(needs_postgres, policy):
    customer = CustomerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_create(requester=customer, subject="Rolled back with the caller", tags=["caller-tag"])
        raise RuntimeError("the caller fails after")
    assert not Case.objects.filter(subject="Rolled back with the caller").exists()
    assert not Tag.objects.filter(name="caller-tag").exists() and not Clock.objects.exists()


@pytest.mark.django_db
def test_routing_decides_once_per_creation(customer, policy, monkeypatch):
    from workflows.services import routing

    TeamFactory(name="Money", slug="money")
    routing_rule_save(name="Invoices to money", conditions=[{"field": "subject", "op": "contains", "value": "invoice"}],
                      actions={"team": "money", "priority": "P1"}, position=10)
    calls = []
    real = routing.first_match
    monkeypatch.setattr(routing, "first_match", lambda *a, **k: calls.append(1) or real(*a, **k))
    case = case_create(requester=customer, subject="Invoice missing")
    assert len(calls) == 1 and case.team.slug == "money" and case.priority == "P1"


@pytest.mark.django_db
def test_a_team_gone_since_the_decision_sends_routing_to_the_next_rule(customer):
    from tickets.models import Case as CaseModel
    from workflows.services.routing import case_route, new_case_routing

    money, backup = TeamFactory(name="Money", slug="money"), TeamFactory(name="Backup", slug="backup")
    routing_rule_save(name="To money", conditions=[], actions={"team": "money"}, position=10)
    routing_rule_save(name="To backup", conditions=[], actions={"team": "backup"}, position=20)
    case = CaseModel(subject="Anything", requester=customer, organization=customer.organization)
    plan = new_case_routing(case=case, tags=[])
    assert plan is not None and plan.team == money
    money.is_active = False
    money.save()
    case.save()
    case_route(case=case, actor=customer, trigger="created", plan=plan)
    assert case.team == backup


@pytest.mark.django_db
def test_a_routed_case_gets_its_tags_old_and_new_in_its_first_statement(customer):
    TeamFactory(name="Money", slug="money")
    routing_rule_save(name="Invoices to money", conditions=[{"field": "subject", "op": "contains", "value": "invoice"}],
                      actions={"team": "money"}, position=10)
    Tag.objects.create(name="vip")
    case = case_create(requester=customer, subject="Invoice missing", tags=["vip", "never-seen"])
    assert case.team.slug == "money"
    assert set(Case.objects.get(pk=case.pk).tags.values_list("name", flat=True)) == {"vip", "never-seen"}
