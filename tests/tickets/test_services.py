"""The case services: every transition and refusal, and what each change leaves behind."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings

from helpdesk import clock
from helpdesk.errors import Conflict, InvalidInput, NotFound
from tickets.models import CaseEvent, EventKind, State, Visibility
from tickets.services.cases import (
    Forbidden,
    TransitionForbidden,
    TransitionRefused,
    case_assign,
    case_create,
    case_merge,
    case_transition,
    case_update,
    comment_add,
    transitions_for,
)

pytestmark = pytest.mark.django_db

NAMED = ["triage", "start", "wait_on_customer", "wait_on_internal", "resume", "resolve", "close", "reopen",
         "escalate", "de_escalate", "cancel"]

# Escalation raises the level and hands the case along the team's escalation path, which
# may change the team, the assignee and so the state: routing's tests own where it lands.
ESCALATED = None

# What the agent of the case's team may do from each state (the agent owns the case once
# assigned), and where it leads. Written out by hand: this is the product's contract.
ALLOWED = {
    "new": {"triage": "triaged", "escalate": ESCALATED, "cancel": "cancelled"},
    "triaged": {"resolve": "resolved", "escalate": ESCALATED, "cancel": "cancelled"},
    "assigned": {"start": "in_progress", "wait_on_customer": "waiting_on_customer",
                 "wait_on_internal": "waiting_on_internal", "resolve": "resolved", "escalate": ESCALATED,
                 "cancel": "cancelled"},
    "in_progress": {"wait_on_customer": "waiting_on_customer", "wait_on_internal": "waiting_on_internal",
                    "resolve": "resolved", "escalate": ESCALATED, "cancel": "cancelled"},
    "waiting_on_customer": {"wait_on_internal": "waiting_on_internal", "resume": "in_progress",
                            "resolve": "resolved", "escalate": ESCALATED, "cancel": "cancelled"},
    "waiting_on_internal": {"wait_on_customer": "waiting_on_customer", "resume": "in_progress",
                            "resolve": "resolved", "escalate": ESCALATED, "cancel": "cancelled"},
    "resolved": {"close": "closed", "reopen": "in_progress"},
    "closed": {"reopen": "in_progress"},
    "cancelled": {},
}


def _events(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id"))


@pytest.mark.parametrize("state,name", [(s, n) for s in ALLOWED for n in NAMED])
def test_every_transition_from_every_state(case_in, agent, state, name):
    case = case_in(state)
    before = _events(case)
    if name in ALLOWED[state]:
        level = case.escalation_level
        case = case_transition(case=case, name=name, actor=agent, reason="because")
        case.refresh_from_db()
        new = _events(case)[len(before):]
        event = new[0]
        assert event.kind == EventKind.TRANSITION and event.data["transition"] == name
        assert event.actor == agent and event.reason == "because"
        assert event.before["state"] == state
        if ALLOWED[state][name] is ESCALATED:
            assert case.escalation_level == level + 1 and case.is_open
            assert event.after["escalation_level"] == level + 1
            assert {e.kind for e in new[1:]} <= {EventKind.ESCALATION, EventKind.ASSIGNMENT}
        else:
            assert case.state == ALLOWED[state][name]
            assert len(new) == 1
            assert event.after["state"] == case.state
    else:
        with pytest.raises(TransitionRefused) as info:
            case_transition(case=case, name=name, actor=agent)
        assert info.value.status_code == 409
        assert info.value.extra["state"] == state
        assert info.value.extra["allowed_transitions"] == transitions_for(case, agent)
        assert _events(case) == before
        case.refresh_from_db()
        assert case.state == state


@pytest.mark.parametrize("state", list(ALLOWED))
def test_allowed_transitions_are_exactly_the_ones_that_work(case_in, agent, state):
    case = case_in(state)
    expected = [n for n in NAMED if n in ALLOWED[state]]
    if state in ("new", "triaged", "assigned", "in_progress", "waiting_on_customer", "waiting_on_internal"):
        expected.append("merge")
    assert transitions_for(case, agent) == expected


def test_resolve_close_reopen_keep_timestamps(case_in, agent):
    case = case_in("in_progress")
    case_transition(case=case, name="resolve", actor=agent)
    case.refresh_from_db()
    assert case.resolved_at is not None and case.closed_at is None
    case_transition(case=case, name="close", actor=agent)
    case.refresh_from_db()
    assert case.closed_at is not None
    case_transition(case=case, name="reopen", actor=agent)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.reopen_count == 1
    assert case.resolved_at is None and case.closed_at is None


def test_reopen_of_unowned_case_goes_back_to_triage(case_in, agent):
    case = case_in("triaged")
    case_transition(case=case, name="resolve", actor=agent)
    case_transition(case=case, name="reopen", actor=agent)
    case.refresh_from_db()
    assert case.state == State.TRIAGED


@override_settings(HELPDESK={"REOPEN_WINDOW_DAYS": 14, "ATTACHMENT_MAX_BYTES": 1024,
                             "ATTACHMENT_CONTENT_TYPES": ["text/plain"], "TEXT_MAX_CHARS": 100_000})
@pytest.mark.parametrize("days,reopens", [(1, True), (14, True), (15, False)])
def test_customer_reopens_a_closed_case_only_within_the_window(case_in, customer, days, reopens):
    with time_machine.travel("2026-03-01 09:00Z", tick=False) as traveller:
        case = case_in("closed")
        traveller.shift(timedelta(days=days) - timedelta(minutes=1))
        if reopens:
            case_transition(case=case, name="reopen", actor=customer)
            case.refresh_from_db()
            assert case.state == State.IN_PROGRESS
        else:
            with pytest.raises(TransitionRefused) as info:
                case_transition(case=case, name="reopen", actor=customer)
            assert info.value.extra["state"] == State.CLOSED
            assert info.value.extra["allowed_transitions"] == []


def test_escalate_and_de_escalate_move_the_level(case_in, agent):
    case = case_in("in_progress")
    case_transition(case=case, name="escalate", actor=agent)
    case_transition(case=case, name="escalate", actor=agent)
    case.refresh_from_db()
    assert case.escalation_level == 2 and case.is_open
    case_transition(case=case, name="de_escalate", actor=agent)
    case.refresh_from_db()
    assert case.escalation_level == 1
    moves = [e for e in _events(case) if e.data.get("transition") in ("escalate", "de_escalate")]
    levels = [(e.before["escalation_level"], e.after["escalation_level"]) for e in moves]
    assert levels == [(0, 1), (1, 2), (2, 1)]
    case_transition(case=case, name="de_escalate", actor=agent)
    with pytest.raises(TransitionRefused):
        case_transition(case=case, name="de_escalate", actor=agent)


@pytest.mark.parametrize("state,allowed", [("new", True), ("triaged", True), ("assigned", False),
                                           ("in_progress", False), ("resolved", False)])
def test_requester_cancels_only_while_nobody_picked_it_up(case_in, customer, state, allowed):
    case = case_in(state)
    if allowed:
        case_transition(case=case, name="cancel", actor=customer)
        case.refresh_from_db()
        assert case.state == State.CANCELLED
    else:
        with pytest.raises(TransitionForbidden):
            case_transition(case=case, name="cancel", actor=customer)


def test_org_admin_may_cancel_an_org_case_but_a_colleague_may_not(case_in, org_admin, colleague):
    case = case_in("new")
    with pytest.raises(TransitionForbidden):
        case_transition(case=case, name="cancel", actor=colleague)
    case_transition(case=case, name="cancel", actor=org_admin)


def test_customer_closes_after_resolve_but_not_before(case_in, customer):
    case = case_in("in_progress")
    with pytest.raises(TransitionRefused) as info:
        case_transition(case=case, name="close", actor=customer)
    assert info.value.status_code == 409 and info.value.extra["state"] == State.IN_PROGRESS
    resolved = case_in("resolved")
    assert transitions_for(resolved, customer) == ["close", "reopen"]
    case_transition(case=resolved, name="close", actor=customer)
    resolved.refresh_from_db()
    assert resolved.state == State.CLOSED


@pytest.mark.parametrize("name", ["triage", "resolve", "escalate", "start"])
def test_customer_may_not_make_staff_transitions(case_in, customer, name):
    case = case_in("new")
    with pytest.raises(TransitionForbidden) as info:
        case_transition(case=case, name=name, actor=customer)
    assert info.value.status_code == 403


def test_agent_of_another_team_may_not_transition(case, l2_agent):
    with pytest.raises(TransitionForbidden):
        case_transition(case=case, name="triage", actor=l2_agent)


def test_unknown_and_parameterised_names_are_refused(case, agent):
    with pytest.raises(NotFound):
        case_transition(case=case, name="explode", actor=agent)
    with pytest.raises(InvalidInput):
        case_transition(case=case, name="merge", actor=agent)


def test_stale_expected_state_or_version_is_a_conflict(case, agent):
    case_transition(case=case, name="triage", actor=agent)
    with pytest.raises(Conflict) as info:
        case_transition(case=case, name="cancel", actor=agent, expected_state=State.NEW)
    assert info.value.extra["state"] == State.TRIAGED
    assert "cancel" in info.value.extra["allowed_transitions"]
    with pytest.raises(Conflict):
        case_transition(case=case, name="cancel", actor=agent, expected_version=0)


def test_merge_folds_the_case_into_another(case_in, agent):
    source, target = case_in("in_progress"), case_in("assigned")
    case_merge(case=source, into=target, actor=agent, reason="same problem")
    source.refresh_from_db()
    assert source.state == State.MERGED and source.merged_into == target
    assert _events(source)[-1].kind == EventKind.MERGE
    assert _events(target)[-1].after == {"merged_from": source.reference}
    assert transitions_for(source, agent) == []


def test_merge_refusals(case_in, agent, customer, l2_agent, l2_team):
    source, closed = case_in("new"), case_in("closed")
    with pytest.raises(InvalidInput):
        case_merge(case=source, into=source, actor=agent)
    with pytest.raises(TransitionRefused):
        case_merge(case=source, into=closed, actor=agent)
    with pytest.raises(Forbidden):
        case_merge(case=source, into=case_in("new"), actor=customer)
    invisible = case_in("new", team=l2_team)
    with pytest.raises(InvalidInput):
        case_merge(case=source, into=invisible, actor=agent)
    source.refresh_from_db()
    assert source.state == State.NEW


def test_assign_and_return_to_queue(case, agent, second_agent):
    case_assign(case=case, assignee=agent, actor=agent)
    case.refresh_from_db()
    assert case.state == State.ASSIGNED and case.assignee == agent
    case_assign(case=case, assignee=second_agent, actor=agent, reason="holiday")
    case_assign(case=case, assignee=None, actor=agent)
    case.refresh_from_db()
    assert case.state == State.TRIAGED and case.assignee is None
    assignments = [(e.before["assignee"], e.after["assignee"]) for e in _events(case) if e.kind == "assignment"]
    assert assignments == [(None, agent.pk), (agent.pk, second_agent.pk), (second_agent.pk, None)]


def test_assign_refusals(case, agent, l2_agent, customer, case_in):
    with pytest.raises(InvalidInput):
        case_assign(case=case, assignee=l2_agent, actor=agent)  # not in the team
    with pytest.raises(InvalidInput):
        case_assign(case=case, assignee=customer, actor=agent)
    with pytest.raises(Forbidden):
        case_assign(case=case, assignee=agent, actor=customer)
    with pytest.raises(Conflict):
        case_assign(case=case_in("closed"), assignee=agent, actor=agent)
    assert [e.kind for e in _events(case)] == ["created"]


def test_update_writes_one_event_per_changed_field(case, agent):
    case_update(case=case, actor=agent, changes={"priority": "P1", "subject": "Card declined", "tags": ["VIP", "vip"]})
    events = [e for e in _events(case) if e.kind == EventKind.FIELD_CHANGE]
    assert [(e.data["field"], e.before, e.after) for e in events] == [
        ("priority", {"priority": "P3"}, {"priority": "P1"}),
        ("tags", {"tags": []}, {"tags": ["vip"]}),
    ]
    assert all(e.visibility == Visibility.INTERNAL for e in events)
    version = case.__class__.objects.get(pk=case.pk).version
    case_update(case=case, actor=agent, changes={"priority": "P1"})
    assert case.__class__.objects.get(pk=case.pk).version == version  # nothing changed, nothing written


@pytest.mark.parametrize("changes,field", [
    ({"state": "closed"}, "state"),
    ({"priority": "P9"}, "priority"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"tags": "vip"}, "tags"),
    ({"custom_fields": []}, "custom_fields"),
    ({"custom_fields": {"k": {"nested": 1}}}, "custom_fields"),
])
def test_update_refuses_bad_values_and_writes_nothing(case, agent, changes, field):
    count = CaseEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        case_update(case=case, actor=agent, changes=changes)
    assert field in info.value.extra["fields"]
    assert CaseEvent.objects.count() == count


def test_update_refusals_by_role_and_state(case, customer, agent, case_in):
    with pytest.raises(Forbidden):
        case_update(case=case, actor=customer, changes={"priority": "P1"})
    with pytest.raises(Conflict):
        case_update(case=case_in("closed"), actor=agent, changes={"priority": "P1"})


def test_create_records_created_event_and_uses_requester_organization(case, customer):
    assert case.reference.startswith("CS-")
    assert case.organization == customer.organization
    event = CaseEvent.objects.filter(case=case).first()
    assert event.kind == EventKind.CREATED and event.actor == customer and event.visibility == Visibility.PUBLIC


def test_create_refuses_bad_input_and_writes_nothing(customer):
    count = CaseEvent.objects.count()
    for kwargs, field in [({"subject": "   "}, "subject"), ({"subject": "ok", "priority": "P0"}, "priority"),
                          ({"subject": "ok", "channel": "pigeon"}, "channel"),
                          ({"subject": "ok", "description": "x" * 100_001}, "description")]:
        with pytest.raises(InvalidInput) as info:
            case_create(requester=customer, **kwargs)
        assert field in info.value.extra["fields"]
    assert CaseEvent.objects.count() == count and not customer.requested_cases.exists()


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


def test_internal_note_does_not_count_as_first_response(case, agent):
    comment_add(case=case, author=agent, body="Looks like fraud", public=False)
    case.refresh_from_db()
    assert case.first_responded_at is None
    with time_machine.travel(clock.now() + timedelta(hours=1), tick=False):
        comment_add(case=case, author=agent, body="We are on it", public=True)
    case.refresh_from_db()
    assert case.first_responded_at is not None


def test_customer_reply_to_a_resolved_case_reopens_it(case_in, customer):
    case = case_in("resolved")
    comment_add(case=case, author=customer, body="Still broken", public=False)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.reopen_count == 1
    note = case.comments.get()
    assert note.is_public  # a customer cannot write an internal note


def test_comment_refusals(case, case_in, other_customer, agent):
    with pytest.raises(NotFound):
        comment_add(case=case, author=other_customer, body="hi", public=True)
    with pytest.raises(Conflict):
        comment_add(case=case_in("closed"), author=agent, body="late", public=True)
    with pytest.raises(InvalidInput):
        comment_add(case=case, author=agent, body="  ", public=True)
    assert not case.comments.exists()
