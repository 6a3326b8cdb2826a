"""New rows written by `insert_new`: the same rows the ORM writes, their ids on the instances."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import inserts
from helpdesk.eventlog import Actor
from helpdesk.inserts import insert_new
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, OrganizationFactory
from tickets.models import Case, CaseEvent, Visibility

pytestmark = pytest.mark.django_db


def _event(case, n, actor):
    event = CaseEvent(case=case, kind="field_change", before={"n": n - 1}, after={"n": n, "nested": {"ok": True}},
                      reason=f"change {n}", visibility=Visibility.PUBLIC, data={"list": [n]}, team_id=None)
    event.set_actor(Actor.of(actor))
    return event


def test_rows_are_written_with_their_values_and_ids_in_order():
    case, agent = CaseFactory(), AgentFactory()
    events = [_event(case, n, agent) for n in range(1, 4)]
    with CaptureQueriesContext(connection) as queries:
        assert insert_new(events) is events
    assert len(queries) == 1
    assert all(e.pk is not None and not e._state.adding for e in events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    for event in events:
        stored = CaseEvent.objects.get(pk=event.pk)
        n = int(event.reason.split()[-1])
        assert (stored.case_id, stored.actor_id, stored.actor_label, stored.kind) == (case.pk, agent.pk,
                                                                                      agent.get_full_name() or
                                                                                      agent.username, "field_change")
        assert stored.after == {"n": n, "nested": {"ok": True}} and stored.before == {"n": n - 1}
        assert stored.data == {"list": [n]} and stored.reason == f"change {n}"
        assert stored.occurred_at == event.occurred_at


def test_a_case_reads_back_as_the_orm_would_have_written_it():
    customer = CustomerFactory()
    model = Case(subject="Refund", description="Twice charged.", requester=customer,
                 organization=customer.organization, priority="P2", custom_fields={"order": "A-1", "amount": 12.5})
    insert_new([model])
    stored = Case.objects.get(pk=model.pk)
    for field in Case._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(model, field.attname), field.name


def test_an_unsaved_related_row_is_refused_and_nothing_written():
    customer = CustomerFactory()
    before = Case.objects.count()
    with pytest.raises(ValueError):
        insert_new([Case(subject="A", requester=customer),
                    Case(subject="B", requester=customer, organization=OrganizationFactory.build())])
    assert Case.objects.count() == before


def test_large_lists_go_in_several_statements(monkeypatch):
    monkeypatch.setattr(inserts, "BATCH_ROWS", 3)
    case, agent = CaseFactory(), AgentFactory()
    events = [_event(case, n, agent) for n in range(1, 8)]
    with CaptureQueriesContext(connection) as queries:
        insert_new(events)
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 3
    assert [CaseEvent.objects.get(pk=e.pk).reason for e in events] == [f"change {n}" for n in range(1, 8)]


def test_nothing_is_sent_for_no_rows():
    with CaptureQueriesContext(connection) as queries:
        assert insert_new([]) == []
    assert len(queries) == 0


def test_saved_instances_and_mixed_models_are_refused_before_anything_is_written():
    case, agent = CaseFactory(), AgentFactory()
    before = CaseEvent.objects.count()
    with pytest.raises(ValueError):
        insert_new([_event(case, 1, agent), case])
    with pytest.raises(ValueError):
        insert_new([case])
    assert CaseEvent.objects.count() == before
