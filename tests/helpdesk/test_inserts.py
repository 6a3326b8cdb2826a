"""New rows written by `insert_new`: the same rows the ORM writes, their ids on the instances."""

import contextlib

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


# --- PostgreSQL: the rows travel as one JSON parameter --------------------------------------


def _stored_like(model_obj, stored):
    for field in type(model_obj)._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(model_obj, field.attname), field.name


def test_awkward_text_json_and_times_read_back_exactly(needs_postgres):
    from datetime import datetime, timedelta, timezone

    from tickets.models import Priority
    customer = CustomerFactory()
    awkward = "O'Brien \\ \"quoted\" é ü 😀 %s %(x)s {x}\n\ttab -- ;"
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    model = Case(subject=awkward[:200], description=awkward * 3, requester=customer, organization=None,
                 priority=Priority.P1, created_at=at, updated_at=at,
                 custom_fields={"text": awkward, "n": 12.5, "big": 2**53 + 1, "list": [None, True, "ä"],
                                "nested": {"k": "v"}})
    insert_new([model])
    stored = Case.objects.get(pk=model.pk)
    _stored_like(model, stored)
    assert stored.priority == "P1" and type(stored.priority) is str
    assert stored.created_at == at and stored.created_at.microsecond == 123456


def test_text_longer_than_its_column_is_refused_not_cut(needs_postgres):
    from django.db import DataError, transaction
    customer = CustomerFactory()
    before = Case.objects.count()
    with pytest.raises(DataError), transaction.atomic():
        insert_new([Case(subject="x" * 201, requester=customer)])
    assert Case.objects.count() == before


def test_a_value_json_cannot_carry_sends_the_rows_as_values(needs_postgres):
    from sla.models import Clock
    case = CaseFactory()
    clocks = [_clock(case, "first_response"), _clock(case, "resolution")]
    clocks[1].paused_seconds = float("inf")  # not a JSON number
    with CaptureQueriesContext(connection) as queries:
        insert_new(clocks)
    assert len(queries) == 1 and " VALUES " in queries[0]["sql"]
    assert Clock.objects.get(pk=clocks[1].pk).paused_seconds == float("inf")
    again = [_clock(CaseFactory(), "resolution")]
    with CaptureQueriesContext(connection) as queries:
        insert_new(again)
    assert "jsonb_array_elements" in queries[0]["sql"]
    _stored_like(again[0], Clock.objects.get(pk=again[0].pk))


def test_a_naive_time_is_taken_as_the_orm_takes_it(needs_postgres):
    from datetime import datetime

    from django.utils import timezone
    case, agent = CaseFactory(), AgentFactory()
    naive = datetime(2026, 5, 1, 12, 0)
    event = _event(case, 1, agent)
    event.occurred_at = naive
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_new([event])
    assert CaseEvent.objects.get(pk=event.pk).occurred_at == timezone.make_aware(naive)


def test_the_statement_is_the_same_text_for_any_number_of_rows(needs_postgres):
    case, agent = CaseFactory(), AgentFactory()
    texts = set()
    for count in (1, 4, 9):
        with CaptureQueriesContext(connection) as queries:
            insert_new([_event(case, n, agent) for n in range(count)])
        texts.add(queries[0]["sql"].split(" FROM jsonb_array_elements")[0])
    assert len(texts) == 1


def test_values_of_another_type_go_through_their_field_as_the_orm_sends_them(needs_postgres):
    from datetime import datetime, timezone

    from sla.models import Clock
    case = CaseFactory()
    clock = _clock(case, "resolution")
    clock.target_seconds = True  # an integer column: 1
    clock.fired = "2"  # an integer column: 2
    clock.checkpoints = "50"  # a JSON column: the string "50", not the number
    clock.started_at = "2026-02-03T04:05:06.789+00:00"
    clock.paused_seconds = 3  # a float column: 3.0
    insert_new([clock])
    stored = Clock.objects.get(pk=clock.pk)
    assert (stored.target_seconds, stored.fired, stored.checkpoints, stored.paused_seconds) == (1, 2, "50", 3.0)
    assert stored.started_at == datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=timezone.utc)


def test_a_parent_and_the_rows_pointing_at_it_go_as_one_statement(needs_postgres):
    from sla.models import Clock
    customer, agent = CustomerFactory(), AgentFactory()
    case = Case(subject="Parent", requester=customer, organization=customer.organization, priority="P3")
    clocks = [_clock(case, "first_response"), _clock(case, "resolution")]
    events = [_event(case, n, agent) for n in range(1, 3)]
    events[1].data = {"clock": None}
    # An event reads the id of a clock written by the same statement.
    lookup = (f"jsonb_set(%s::jsonb, '{{clock}}', (SELECT to_jsonb(id) FROM {inserts.written_rows(0)} "
              "WHERE kind = %s))")
    with CaptureQueriesContext(connection) as queries:
        rows = inserts.insert_new_after(case, inserts.WithParts.insert([case]), clocks, events,
                                        wrap={1: {(1, "data"): (lookup, ["resolution"])}})
    assert len(queries) == 1
    assert rows == [(case.pk,)] and case.pk is not None and not case._state.adding
    for row in [*clocks, *events]:
        assert row.pk is not None and row.case_id == case.pk and row.case is case  # the link, no query
    assert list(Clock.objects.filter(case_id=case.pk).order_by("id").values_list("id", flat=True)) == [c.pk for c in clocks]
    assert [c.kind for c in Clock.objects.filter(pk__in=[c.pk for c in clocks]).order_by("id")] == [
        "first_response", "resolution"]  # each instance got the id of its own row
    assert list(CaseEvent.objects.filter(case_id=case.pk).order_by("id").values_list("id", flat=True)) == [
        e.pk for e in events]
    assert CaseEvent.objects.get(pk=events[1].pk).data == {"clock": clocks[1].pk}
    assert Case.objects.get(pk=case.pk).subject == "Parent"


def test_the_statement_is_prepared_on_the_connection_unless_turned_off(needs_postgres, transactional_db, settings):
    connection.close()  # a new session: nothing prepared yet
    def write(subject):
        customer = CustomerFactory()
        case = Case(subject=subject, requester=customer, priority="P3")
        inserts.insert_new_after(case, inserts.WithParts.insert([case]), [_clock(case, "resolution")])
        return case

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%new_parent%"])
            return [row[0] for row in cursor.fetchall()]

    settings.DATABASE_PREPARED_STATEMENTS = False
    write("Unprepared")
    assert prepared() == []
    settings.DATABASE_PREPARED_STATEMENTS = True
    first, second = write("First"), write("Second")
    assert len(prepared()) == 1  # prepared once, run twice
    assert Case.objects.get(pk=first.pk).subject == "First" and Case.objects.get(pk=second.pk).subject == "Second"
    # Django's own statements are not prepared.
    assert connection.connection.prepare_threshold is None


def test_a_statement_the_server_lost_is_sent_again_whole_and_the_connection_stops_preparing(
        needs_postgres, transactional_db, settings, caplog):
    """As behind a connection pooler in transaction mode that does not keep prepared statements."""
    from django.db import ProgrammingError, transaction

    settings.DATABASE_PREPARED_STATEMENTS = True

    def write(subject, atomic=False):
        case = Case(subject=subject, requester=CustomerFactory(), priority="P3")
        clocks = [_clock(case, "resolution")]
        with transaction.atomic() if atomic else contextlib.nullcontext():
            inserts.insert_new_after(case, inserts.WithParts.insert([case]), clocks)
        assert case.pk is not None and clocks[0].pk is not None
        return case

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE %s", ["%new_parent%"])
            return [row[0] for row in cursor.fetchall()]

    def lose_them():
        with connection.cursor() as cursor:
            for name in prepared():  # one by one: psycopg does not see these go
                cursor.execute(f'DEALLOCATE "{name}"')

    connection.close()  # a new session: nothing prepared yet
    try:
        # Outside a transaction the statement goes again, whole, and the connection prepares no more.
        write("First")
        assert len(prepared()) == 1
        lose_them()
        second, third = write("Second"), write("Third")
        assert "DATABASE_PREPARED_STATEMENTS=false" in caplog.text
        assert prepared() == []
        assert [Case.objects.get(pk=c.pk).subject for c in (second, third)] == ["Second", "Third"]
        # Inside a transaction the error stands (the transaction is aborted) and nothing is written.
        connection.close()  # a new session, preparing again
        write("Fourth")
        assert len(prepared()) == 1
        lose_them()
        with pytest.raises(ProgrammingError):
            write("In a transaction", atomic=True)
        assert not Case.objects.filter(subject="In a transaction").exists()
        assert write("Fifth").subject == "Fifth" and prepared() == []
    finally:
        inserts._unprepared.discard(connection.connection)


def test_a_failing_text_leaves_the_rows_linked_to_their_unsaved_parent(needs_postgres):
    from django.db import IntegrityError, transaction
    customer, agent = CustomerFactory(), AgentFactory()
    case = Case(subject="Parent", requester=customer, priority="P3")
    duplicate = [_clock(case, "resolution"), _clock(case, "resolution")]  # one clock per case and kind
    before = Case.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        inserts.insert_new_after(case, inserts.WithParts.insert([case]), duplicate, [_event(case, 1, agent)])
    assert Case.objects.count() == before and case.pk is None
    assert all(c.case is case and c.pk is None for c in duplicate)
    with pytest.raises(ValueError):
        inserts.insert_new_after(CaseFactory(), inserts.WithParts("", "SELECT 1", []), [])
