"""The case model: references, the state machine's guards, and the append-only event log."""

import pytest
from django.db import transaction
from django_fsm import TransitionNotAllowed

from helpdesk.eventlog import Actor, ImmutableEventError
from tests.factories import CaseFactory
from tickets.models import Case, CaseEvent, State, pk_from_reference, reference_for
from tickets.services.events import case_event_record

pytestmark = pytest.mark.django_db


def test_reference_round_trips():
    assert reference_for(123) == "CS-000123"
    assert pk_from_reference("cs-000123") == 123
    assert pk_from_reference(" 42 ") == 42
    for bad in ("", "CS-", "CS-abc", "XX-1x", "-1", "CS-" + "9" * 13):
        assert pk_from_reference(bad) is None


def test_state_cannot_be_written_directly():
    case = CaseFactory()
    with pytest.raises(AttributeError):
        case.state = State.CLOSED


def test_guards_refuse_transitions_without_their_preconditions():
    case = CaseFactory()
    with pytest.raises(TransitionNotAllowed):
        case.start()  # nobody owns it
    with pytest.raises(TransitionNotAllowed):
        case.de_escalate()  # level 0
    with pytest.raises(TransitionNotAllowed):
        case.merge()  # no target
    with pytest.raises(TransitionNotAllowed):
        case.close()  # not resolved


def test_escalate_from_new_lands_in_triaged_and_keeps_other_states():
    case = CaseFactory()
    case.escalate()
    assert case.state == State.TRIAGED
    case.escalate()
    assert case.state == State.TRIAGED


def test_customer_state_label_never_shows_internal_names():
    case = CaseFactory()
    assert case.customer_state_label == "Received"


@pytest.fixture
def event():
    case = CaseFactory()
    return case_event_record(case=case, kind="created", actor=Actor.system("test"), after={"state": "new"})


def test_event_cannot_be_saved_again(event):
    event.reason = "rewritten"
    with pytest.raises(ImmutableEventError):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_event_cannot_be_deleted(event):
    with pytest.raises(ImmutableEventError):
        event.delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("attempt", [
    lambda e: CaseEvent.objects.filter(pk=e.pk).update(reason="x"),
    lambda e: CaseEvent.objects.filter(pk=e.pk).delete(),
    lambda e: CaseEvent.objects.all().delete(),
    lambda e: e.case.events.update(kind="x"),
    lambda e: e.case.events.all().delete(),
    lambda e: CaseEvent.objects.bulk_update([e], ["reason"]),
])
def test_event_queryset_refuses_bulk_changes(event, attempt):
    with pytest.raises(ImmutableEventError), transaction.atomic():
        attempt(event)
    assert CaseEvent.objects.get(pk=event.pk).kind == "created"


def test_a_case_with_events_cannot_be_deleted(event):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Case.objects.get(pk=event.case_id).delete()
