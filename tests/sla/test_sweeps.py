"""The sweep: warnings and breaches fire once each, on time or late after an outage, with actions."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from sla.models import Clock, ClockState, TargetKind
from sla.services.policies import policy_define
from sla.services.sweeps import clocks_sweep
from tests.sla.conftest import picking_team, targets
from tickets.models import Case, CaseEvent
from tickets.services.cases import case_assign, case_create
from workflows.models import Notification

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def fired(case, type_):
    return list(CaseEvent.objects.filter(case=case, kind="sla", data__type=type_).order_by("id"))


@pytest.fixture
def escalating_policy(always_calendar):
    return policy_define(name="Escalating", is_default=True, targets=targets(always_calendar),
                         breach_escalate=True, breach_notify_manager=True)


def test_nothing_due_fires_nothing(default_policy, customer):
    with time_machine.travel(T0, tick=False):
        case_create(requester=customer, subject="Fresh")
        assert clocks_sweep() == 0


def test_warnings_then_breach_fire_once_each_on_time(default_policy, customer, agent, support_team):
    support_team.lead = agent
    support_team.save()
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Slow", team=support_team)
        case_assign(case=case, assignee=agent, actor=agent)
        t.move_to(T0 + timedelta(minutes=45, seconds=5))
        assert clocks_sweep() == 1
        assert clocks_sweep() == 0  # the beat ran twice
        warning = fired(case, "warning")
        assert [(w.data["target"], w.data["threshold"], w.data["late"]) for w in warning] == [("first_response", 75, False)]
        assert Notification.objects.filter(user=agent, kind="sla_warning").count() == 1
        t.move_to(T0 + timedelta(minutes=54, seconds=1))
        assert clocks_sweep() == 1
        t.move_to(T0 + timedelta(minutes=60, seconds=1))
        assert clocks_sweep() == 1
        assert clocks_sweep() == 0
        first = Clock.objects.get(case=case, kind=TargetKind.FIRST_RESPONSE)
        assert first.state == ClockState.BREACHED and first.breached_at == T0 + timedelta(hours=1)
        assert first.next_check_at is None
        assert len(fired(case, "breach")) == 1 and not fired(case, "breach")[0].data["late"]


def test_outage_catch_up_fires_missed_checkpoints_once_marked_late(default_policy, customer):
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="During the outage")
        t.move_to(T0 + timedelta(hours=2))  # the beat was down for two hours
        assert clocks_sweep() == 3  # first response: 75 %, 90 %, breach; resolution not yet at 75 %
        assert clocks_sweep() == 0
        events = fired(case, "warning") + fired(case, "breach")
        assert all(e.data["late"] for e in events)
        assert sorted(e.data.get("threshold", 100) for e in events) == [75, 90, 100]


def test_a_met_clock_never_warns(default_policy, customer, agent):
    from tickets.services.cases import comment_add

    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Quick")
        case_assign(case=case, assignee=agent, actor=agent)
        comment_add(case=case, author=agent, body="On it", public=True)
        t.move_to(T0 + timedelta(minutes=59))
        clocks_sweep()
        assert not fired(case, "warning")


def test_breach_escalates_and_notifies_the_manager(escalating_policy, customer, agent, manager, support_team):
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Escalate me", team=support_team)
        case_assign(case=case, assignee=agent, actor=agent)
        t.move_to(T0 + timedelta(hours=1, seconds=1))
        clocks_sweep()
        case.refresh_from_db()
        assert case.escalation_level == 1
        escalation = CaseEvent.objects.get(case=case, kind="transition", data__transition="escalate")
        assert escalation.actor_kind == "sla"
        assert Notification.objects.filter(user=manager, kind="sla_breach").count() == 1
        clocks_sweep()
        case.refresh_from_db()
        assert case.escalation_level == 1


def test_breach_reassigns_to_another_team(always_calendar, customer, agent, l2_agent, l2_team, support_team):
    picking_team(l2_team)
    policy_define(name="Hand to L2", is_default=True, targets=targets(always_calendar), breach_reassign_team=l2_team)
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Move me", team=support_team)
        case_assign(case=case, assignee=agent, actor=agent)
        t.move_to(T0 + timedelta(hours=1, seconds=1))
        clocks_sweep()
        case.refresh_from_db()
        assert case.team == l2_team and case.assignee == l2_agent


def test_breach_stays_recorded_after_a_rematch_and_a_reply(always_calendar, customer, agent):
    from tickets.services.cases import case_update, comment_add

    policy_define(name="Slow P4", position=1, priorities=["P4"], targets=targets(always_calendar, first=600))
    policy_define(name="Standard", is_default=True, targets=targets(always_calendar))
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Late")
        case_assign(case=case, assignee=agent, actor=agent)
        t.move_to(T0 + timedelta(hours=1, seconds=1))
        clocks_sweep()
        case_update(case=case, actor=agent, changes={"priority": "P4"})
        first = Clock.objects.get(case=case, kind=TargetKind.FIRST_RESPONSE)
        assert first.state == ClockState.BREACHED and first.breached_at is not None
        comment_add(case=case, author=agent, body="Sorry", public=True)
        met = fired(case, "met")
        assert met[-1].data["breached"] is True
        assert Clock.objects.get(pk=first.pk).state == ClockState.BREACHED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_checkpoint_once(needs_postgres, customer, always_calendar):
    policy_define(name="Standard", is_default=True, targets=targets(always_calendar))
    with time_machine.travel(T0, tick=False):
        cases = [case_create(requester=customer, subject=f"Case {i}") for i in range(40)]
    later = T0 + timedelta(hours=1, minutes=1)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(clocks_sweep(now=later, batch_size=7))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sum(results) == 40 * 3
    for case in cases:
        events = CaseEvent.objects.filter(case=case, kind="sla", data__type__in=["warning", "breach"])
        assert sorted(e.data.get("threshold", 100) for e in events) == [75, 90, 100]
    assert Case.objects.count() == 40


def test_breach_reassigns_to_a_named_agent(always_calendar, customer, agent, second_agent, support_team):
    policy_define(name="Hand to Bob", is_default=True, targets=targets(always_calendar), breach_reassign_user=second_agent)
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Bob takes it", team=support_team)
        case_assign(case=case, assignee=agent, actor=agent)
        t.move_to(T0 + timedelta(hours=1, seconds=1))
        clocks_sweep()
        case.refresh_from_db()
        assert case.assignee == second_agent
        event = CaseEvent.objects.filter(case=case, kind="assignment").latest("id")
        assert event.actor_kind == "sla" and "breach" in event.actor_label.lower()

