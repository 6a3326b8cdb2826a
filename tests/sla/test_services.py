"""Clocks follow the case: start, meet, pause and resume, re-match, cancel; no policy, no clocks."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.models import Clock, ClockState, TargetKind
from sla.selectors.clocks import case_clocks
from sla.services.policies import policy_define
from tests.factories import OrganizationFactory
from tests.sla.conftest import targets
from tickets.models import CaseEvent, Tier
from tickets.services.cases import case_assign, case_create, case_transition, case_update, comment_add

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def sla_events(case, type_=None):
    qs = CaseEvent.objects.filter(case=case, kind="sla").order_by("id")
    return [e for e in qs if type_ is None or e.data["type"] == type_]


def clock(case, kind):
    return Clock.objects.get(case=case, kind=kind)


@pytest.fixture
def travel():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_a_case_without_a_policy_has_no_clocks(customer, travel):
    case = case_create(requester=customer, subject="Printer")
    comment_add(case=case, author=customer, body="Still broken", public=True)
    assert not Clock.objects.filter(case=case).exists()
    assert case_clocks(case) == []


def test_creation_starts_first_response_and_resolution(default_policy, customer, travel):
    case = case_create(requester=customer, subject="Login fails")
    first, resolution = clock(case, TargetKind.FIRST_RESPONSE), clock(case, TargetKind.RESOLUTION)
    assert first.due_at == T0 + timedelta(hours=1) and resolution.due_at == T0 + timedelta(hours=8)
    assert first.next_check_at == T0 + timedelta(minutes=45)  # the 75 % warning
    started = sla_events(case, "started")
    assert {e.data["target"] for e in started} == {"first_response", "resolution"}
    assert all(e.data["clock"] and e.actor_kind == "sla" for e in started)


def test_public_agent_reply_meets_first_response_and_internal_note_does_not(default_policy, customer, agent, travel):
    case = case_create(requester=customer, subject="Login fails")
    case_assign(case=case, assignee=agent, actor=agent)
    travel.shift(timedelta(minutes=20))
    comment_add(case=case, author=agent, body="Looking", public=False)
    assert clock(case, TargetKind.FIRST_RESPONSE).state == ClockState.RUNNING
    comment_add(case=case, author=agent, body="Hello", public=True)
    first = clock(case, TargetKind.FIRST_RESPONSE)
    assert first.state == ClockState.MET and first.met_at == T0 + timedelta(minutes=20)
    assert first.next_check_at is None
    assert len(sla_events(case, "met")) == 1


def test_customer_reply_starts_next_response_until_the_agent_answers(default_policy, customer, agent, travel):
    case = case_create(requester=customer, subject="Refund")
    case_assign(case=case, assignee=agent, actor=agent)
    comment_add(case=case, author=agent, body="Which order?", public=True)
    travel.shift(timedelta(minutes=30))
    comment_add(case=case, author=customer, body="Order 42", public=True)
    nxt = clock(case, TargetKind.NEXT_RESPONSE)
    assert nxt.state == ClockState.RUNNING and nxt.due_at == T0 + timedelta(minutes=150)
    travel.shift(timedelta(minutes=10))
    comment_add(case=case, author=customer, body="Any news?", public=True)
    assert clock(case, TargetKind.NEXT_RESPONSE).started_at == T0 + timedelta(minutes=30)  # the first unanswered reply
    comment_add(case=case, author=agent, body="Refunded", public=True)
    assert clock(case, TargetKind.NEXT_RESPONSE).state == ClockState.MET
    comment_add(case=case, author=customer, body="Thanks, one more thing", public=True)
    nxt = clock(case, TargetKind.NEXT_RESPONSE)
    assert nxt.state == ClockState.RUNNING and nxt.cycle == 2


def test_waiting_on_customer_pauses_and_resuming_pushes_the_due_time(default_policy, customer, agent, travel):
    case = case_create(requester=customer, subject="Refund")
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    travel.shift(timedelta(hours=1))
    case_transition(case=case, name="wait_on_customer", actor=agent)
    paused = clock(case, TargetKind.RESOLUTION)
    assert paused.state == ClockState.PAUSED and paused.next_check_at is None
    travel.shift(timedelta(hours=3))
    comment_add(case=case, author=customer, body="Here it is", public=True)  # resumes the case
    resumed = clock(case, TargetKind.RESOLUTION)
    assert resumed.state == ClockState.RUNNING
    assert resumed.paused_seconds == 3 * 3600
    assert resumed.due_at == T0 + timedelta(hours=11)
    assert [e.data["type"] for e in sla_events(case) if e.data["target"] == "resolution"] == [
        "started", "paused", "resumed"]
    assert case_clocks(case)[-1]["remaining_seconds"] == 7 * 3600


def test_internal_wait_pauses_only_when_the_policy_says_so(always_calendar, customer, agent, travel):
    policy_define(name="Pauses internal", is_default=True, targets=targets(always_calendar),
                  pause_states=["waiting_on_customer", "waiting_on_internal"])
    case = case_create(requester=customer, subject="Card")
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="wait_on_internal", actor=agent)
    assert clock(case, TargetKind.RESOLUTION).state == ClockState.PAUSED


def test_internal_wait_does_not_pause_by_default(default_policy, customer, agent, travel):
    case = case_create(requester=customer, subject="Card")
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="wait_on_internal", actor=agent)
    assert clock(case, TargetKind.RESOLUTION).state == ClockState.RUNNING


def test_resolve_meets_reopen_resumes_close_keeps_the_result(default_policy, customer, agent, travel):
    case = case_create(requester=customer, subject="Refund")
    case_assign(case=case, assignee=agent, actor=agent)
    travel.shift(timedelta(hours=2))
    case_transition(case=case, name="resolve", actor=agent)
    assert clock(case, TargetKind.RESOLUTION).state == ClockState.MET
    travel.shift(timedelta(hours=1))
    case_transition(case=case, name="reopen", actor=customer)
    reopened = clock(case, TargetKind.RESOLUTION)
    assert reopened.state == ClockState.RUNNING and reopened.due_at == T0 + timedelta(hours=9)
    case_transition(case=case, name="resolve", actor=agent)
    case_transition(case=case, name="close", actor=agent)
    assert clock(case, TargetKind.RESOLUTION).state == ClockState.MET
    assert clock(case, TargetKind.FIRST_RESPONSE).state == ClockState.CANCELLED


def test_cancel_stops_every_clock(default_policy, customer, travel):
    case = case_create(requester=customer, subject="Never mind")
    case_transition(case=case, name="cancel", actor=customer)
    assert set(Clock.objects.filter(case=case).values_list("state", flat=True)) == {ClockState.CANCELLED}
    assert Clock.objects.filter(case=case, next_check_at__isnull=False).count() == 0


def test_priority_change_rematches_and_recomputes_from_the_original_start(always_calendar, customer, agent, travel):
    policy_define(name="Urgent", position=1, priorities=["P1"], targets=targets(always_calendar, first=15, resolution=120))
    policy_define(name="Standard", is_default=True, targets=targets(always_calendar))
    case = case_create(requester=customer, subject="Down", priority="P3")
    case_assign(case=case, assignee=agent, actor=agent)
    travel.shift(timedelta(minutes=5))
    case_update(case=case, actor=agent, changes={"priority": "P1"})
    resolution = clock(case, TargetKind.RESOLUTION)
    assert resolution.policy.name == "Urgent" and resolution.due_at == T0 + timedelta(hours=2)
    assert clock(case, TargetKind.FIRST_RESPONSE).due_at == T0 + timedelta(minutes=15)
    recomputed = sla_events(case, "recomputed")
    assert len(recomputed) == 2 and "priority" in recomputed[0].reason


def test_organization_change_can_leave_a_case_without_a_policy(always_calendar, customer, agent, travel):
    policy_define(name="Enterprise", position=1, tiers=[Tier.ENTERPRISE], targets=targets(always_calendar))
    big = OrganizationFactory(tier=Tier.ENTERPRISE)
    case = case_create(requester=customer, subject="Down", organization=big)
    assert Clock.objects.filter(case=case, state=ClockState.RUNNING).count() == 2
    case_assign(case=case, assignee=agent, actor=agent)
    case_update(case=case, actor=agent, changes={"organization": customer.organization})
    assert set(Clock.objects.filter(case=case).values_list("state", flat=True)) == {ClockState.CANCELLED}


def test_first_matching_policy_wins_in_order(always_calendar, dublin_calendar, customer, travel):
    policy_define(name="Chat", position=2, channels=["chat"], targets=targets(dublin_calendar))
    policy_define(name="P1 anywhere", position=1, priorities=["P1"], targets=targets(always_calendar))
    case = case_create(requester=customer, subject="Chat P1", channel="chat", priority="P1")
    assert clock(case, TargetKind.RESOLUTION).policy.name == "P1 anywhere"
    case = case_create(requester=customer, subject="Chat P3", channel="chat", priority="P3")
    assert clock(case, TargetKind.RESOLUTION).policy.name == "Chat"


def test_routing_that_raises_the_priority_at_creation_starts_each_clock_once(always_calendar, customer, travel):
    from workflows.services.rules import routing_rule_save

    policy_define(name="Urgent", position=1, priorities=["P1"], targets=targets(always_calendar, first=15))
    policy_define(name="Standard", is_default=True, targets=targets(always_calendar))
    routing_rule_save(name="Outage is P1", position=1, conditions=[{"field": "subject", "op": "contains", "value": "outage"}],
                      actions={"priority": "P1"})
    case = case_create(requester=customer, subject="Total outage", priority="P3")
    case.refresh_from_db()
    assert case.priority == "P1"
    first = clock(case, TargetKind.FIRST_RESPONSE)
    assert first.policy.name == "Urgent" and first.due_at == T0 + timedelta(minutes=15)
    assert len([e for e in sla_events(case, "started") if e.data["target"] == "first_response"]) == 1
