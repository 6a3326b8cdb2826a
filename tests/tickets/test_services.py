import pytest

from helpdesk.errors import Conflict, InvalidInput, NotFound
from tickets.models import CaseEvent, EventKind, State, Visibility
from tickets.services.cases import case_assign, case_create, case_transition, comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, support_team):
    return case_create(requester=customer, subject="Card declined", description="At the shop", team=support_team)


def test_create_records_created_event_and_uses_requester_organization(case, customer):
    assert case.reference.startswith("CS-")
    assert case.organization == customer.organization
    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.CREATED and event.actor == customer and event.visibility == Visibility.PUBLIC


def test_work_loop_moves_through_states_with_an_event_each(case, agent, customer):
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    comment_add(case=case, author=agent, body="Could you send a receipt?", public=True)
    case_transition(case=case, name="wait_on_customer", actor=agent)
    comment_add(case=case, author=customer, body="Here it is", public=True)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS  # the customer's reply resumed it
    case_transition(case=case, name="resolve", actor=agent)
    case_transition(case=case, name="close", actor=customer)
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.first_responded_at and case.resolved_at and case.closed_at
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "data__transition"))
    assert kinds == [
        ("created", None), ("assignment", None), ("transition", "start"), ("comment", None),
        ("transition", "wait_on_customer"), ("comment", None), ("transition", "resume"),
        ("transition", "resolve"), ("transition", "close"),
    ]


def test_illegal_transition_is_a_conflict_and_writes_nothing(case, agent):
    before = CaseEvent.objects.count()
    with pytest.raises(Conflict) as info:
        case_transition(case=case, name="close", actor=agent)
    assert info.value.extra["state"] == State.NEW
    assert CaseEvent.objects.count() == before


def test_customer_may_not_resolve(case, customer):
    with pytest.raises(Exception) as info:
        case_transition(case=case, name="resolve", actor=customer)
    assert getattr(info.value, "status_code", None) == 403


def test_stranger_cannot_comment(case, other_customer):
    with pytest.raises(NotFound):
        comment_add(case=case, author=other_customer, body="hi", public=True)


def test_empty_subject_refused(customer):
    with pytest.raises(InvalidInput) as info:
        case_create(requester=customer, subject="   ")
    assert "subject" in info.value.extra["fields"]
