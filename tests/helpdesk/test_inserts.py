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


def _clock(case, kind):
    from sla.models import Calendar, Clock
    from sla.services.policies import calendar_define
    calendar = (Calendar.objects.filter(name="Around the clock").first()
                or calendar_define(name="Around the clock", always=True, time_zone="UTC"))
    return Clock(case=case, kind=kind, calendar=calendar, priority=case.priority, target_seconds=3600,
                 started_at=case.created_at, due_at=case.created_at)


def test_several_lists_go_in_one_round_trip_where_the_database_allows():
    from sla.models import Clock
    case, agent = CaseFactory(), AgentFactory()
    clocks = [_clock(case, "first_response"), _clock(case, "resolution")]
    events = [_event(case, n, agent) for n in range(1, 4)]
    with CaptureQueriesContext(connection) as queries:
        inserts.insert_new_together(clocks, [], events)
    assert len(queries) == (1 if inserts.sends_several() else 2)
    assert [c.pk for c in clocks] == list(Clock.objects.filter(case=case).order_by("id").values_list("id", flat=True))
    assert [CaseEvent.objects.get(pk=e.pk).reason for e in events] == ["change 1", "change 2", "change 3"]
    assert all(not o._state.adding for o in [*clocks, *events])


def test_a_later_insert_may_take_a_value_from_a_row_written_just_before(needs_postgres):
    case, agent = CaseFactory(), AgentFactory()
    clock = _clock(case, "resolution")
    event = _event(case, 1, agent)
    event.data = {"clock": None, "kept": "yes"}
    lookup = "jsonb_set(%s::jsonb, '{clock}', (SELECT to_jsonb(id) FROM sla_clock WHERE case_id = %s AND kind = %s))"
    inserts.insert_new_together([clock], [event], wrap={1: {(0, "data"): (lookup, [case.pk, "resolution"])}})
    assert CaseEvent.objects.get(pk=event.pk).data == {"clock": clock.pk, "kept": "yes"}
    with pytest.raises(ValueError):
        inserts.insert_statement([_event(case, 2, agent)], wrap={(3, "data"): ("%s", [])})


def test_a_failing_insert_among_several_leaves_none_of_them(needs_postgres):
    from django.db import IntegrityError, transaction

    from sla.models import Clock
    case, agent = CaseFactory(), AgentFactory()
    Clock.objects.bulk_create([_clock(case, "resolution")])
    events_before, clocks_before = CaseEvent.objects.count(), Clock.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        # The clock comes first and is fine; the second clock of the same kind breaks the unique rule.
        inserts.insert_new_together([_clock(case, "first_response")], [_event(case, 1, agent)],
                                    [_clock(case, "resolution")])
    assert (CaseEvent.objects.count(), Clock.objects.count()) == (events_before, clocks_before)


def test_values_computed_by_the_database_need_statements_sent_together(monkeypatch):
    monkeypatch.setattr(inserts, "sends_several", lambda using="default": False)  # as on SQLite
    case, agent = CaseFactory(), AgentFactory()
    with pytest.raises(ValueError):
        inserts.insert_new_together([_clock(case, "resolution")], [_event(case, 1, agent)],
                                    wrap={1: {(0, "data"): ("%s", [])}})
    assert not case.sla_clocks.exists() and not case.events.filter(kind="field_change").exists()
