from datetime import timedelta

import pytest
import time_machine

from helpdesk import clock
from helpdesk.errors import Conflict, InvalidInput, NotFound
from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.models import CaseEvent, EventKind, State
from tickets.services.cases import case_assign, case_create
from workflows.models import Notification, TaskEvent, TaskState
from workflows.selectors.tasks import task_route
from workflows.services.tasks import TaskTransitionForbidden, task_create, task_transition

pytestmark = pytest.mark.django_db


def _task_events(case):
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.TASK).values_list("data__type", flat=True))


def test_full_route_records_each_stage_with_its_times(worked_case, agent, billing_route, finance_member, engineer, tester):
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        task = task_create(case=worked_case, department=billing_route.stages.first().department,
                           title="Refund the double charge", actor=agent, route_template=billing_route,
                           due_at=start + timedelta(days=3))
        assert task.assignee == finance_member and task.department.slug == "finance"
        steps = [(finance_member, 2), (engineer, 5), (tester, 1), (engineer, 3)]
        for i, (member, hours) in enumerate(steps):
            task_transition(task=task, name="accept", actor=member)
            task_transition(task=task, name="start", actor=member)
            traveller.shift(timedelta(hours=hours))
            task_transition(task=task, name="advance" if i < len(steps) - 1 else "complete", actor=member)
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    route = task_route(task)
    assert [r["status"] for r in route] == ["done"] * 4
    assert [r["seconds"] for r in route] == [2 * 3600, 5 * 3600, 3600, 3 * 3600]
    assert [r["since_created"] for r in route] == [0, 2 * 3600, 7 * 3600, 8 * 3600]
    assert [r["holder"]["id"] for r in route] == [finance_member.pk, engineer.pk, tester.pk, engineer.pk]
    assert _task_events(worked_case) == ["created", "accepted", "stage", "accepted", "stage", "accepted", "stage",
                                         "accepted", "done"]
    assert TaskEvent.objects.filter(task=task, kind="stage_exited").count() == 4


def test_route_shows_done_current_and_ahead(worked_case, agent, billing_route, finance_member):
    task = task_create(case=worked_case, department=billing_route.stages.first().department, title="Check",
                       actor=agent, route_template=billing_route)
    task_transition(task=task, name="accept", actor=finance_member)
    task_transition(task=task, name="advance", actor=finance_member)
    task.refresh_from_db()
    assert [r["status"] for r in task_route(task)] == ["done", "current", "ahead", "ahead"]
    assert task.department.slug == "engineering" and task.state == TaskState.OPEN


def test_waiting_on_internal_round_trip(worked_case, agent, finance_team, finance_member):
    first = task_create(case=worked_case, department=finance_team, title="Correct the invoice", actor=agent)
    second = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    worked_case.refresh_from_db()
    assert worked_case.state == State.WAITING_ON_INTERNAL
    task_transition(task=first, name="start", actor=finance_member)
    task_transition(task=first, name="complete", actor=finance_member)
    worked_case.refresh_from_db()
    assert worked_case.state == State.WAITING_ON_INTERNAL  # the refund is still open
    task_transition(task=second, name="start", actor=finance_member)
    task_transition(task=second, name="complete", actor=finance_member)
    worked_case.refresh_from_db()
    assert worked_case.state == State.IN_PROGRESS
    back = CaseEvent.objects.filter(case=worked_case, kind=EventKind.TRANSITION).last()
    assert back.data["transition"] == "resume" and second.reference in back.reason
    assert Notification.objects.filter(user=agent, kind="task_done").count() == 2


def test_non_blocking_task_leaves_the_case_alone(worked_case, agent, finance_team):
    task_create(case=worked_case, department=finance_team, title="FYI", actor=agent, blocking=False)
    worked_case.refresh_from_db()
    assert worked_case.state == State.IN_PROGRESS


def test_reject_needs_a_reason_and_releases_the_case(worked_case, agent, finance_team, finance_member):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    with pytest.raises(InvalidInput):
        task_transition(task=task, name="reject", actor=finance_member)
    task_transition(task=task, name="reject", actor=finance_member, reason="Not a billing error")
    task.refresh_from_db()
    worked_case.refresh_from_db()
    assert task.state == TaskState.REJECTED and task.rejection_reason == "Not a billing error"
    assert worked_case.state == State.IN_PROGRESS
    assert _task_events(worked_case)[-1] == "rejected"


def test_illegal_transition_is_a_conflict(worked_case, agent, finance_team, finance_member):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    with pytest.raises(Conflict) as info:
        task_transition(task=task, name="complete", actor=finance_member)
    assert info.value.extra["state"] == TaskState.OPEN
    assert "accept" in info.value.extra["allowed_transitions"]


def test_block_and_resume(worked_case, agent, finance_team, finance_member):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    task_transition(task=task, name="start", actor=finance_member)
    task_transition(task=task, name="block", actor=finance_member, reason="Waiting for the bank")
    assert _task_events(worked_case)[-1] == "blocked"
    task_transition(task=task, name="resume", actor=finance_member)
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS and task.blocked_reason == ""


def test_outsider_may_not_move_a_task(worked_case, agent, finance_team, finance_member, engineer):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    with pytest.raises(TaskTransitionForbidden):
        task_transition(task=task, name="accept", actor=engineer)


def test_only_case_staff_create_tasks(worked_case, finance_team, engineer):
    with pytest.raises(NotFound):
        task_create(case=worked_case, department=finance_team, title="Refund", actor=engineer)


def test_holder_is_told(worked_case, agent, finance_team, finance_member):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    note = Notification.objects.get(user=finance_member, kind="task_assigned")
    assert task.reference in note.title


def test_task_on_a_new_case_does_not_move_it(customer, support_team, agent, finance_team):
    case = case_create(requester=customer, subject="Help", team=support_team)
    task_create(case=case, department=finance_team, title="Look", actor=agent)
    case.refresh_from_db()
    assert case.state == State.NEW


def test_resume_needs_an_owner_else_the_case_waits(worked_case, agent, finance_team, finance_member):
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent)
    case_assign(case=worked_case, assignee=None, actor=agent)
    task_transition(task=task, name="start", actor=finance_member)
    task_transition(task=task, name="complete", actor=finance_member)
    worked_case.refresh_from_db()
    assert worked_case.state == State.WAITING_ON_INTERNAL


def test_task_to_a_specialist_on_vacation_goes_to_the_alternate(worked_case, agent, finance_team, finance_member):
    from tests.workflows.task_fixtures import department_member
    from workflows.services.absences import absence_create

    alternate = department_member(finance_team, "fiona")
    now = clock.now()
    absence_create(user=finance_member, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6),
                   delegate=alternate, actor=finance_member, reason="Vacation")
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent, specialist=finance_member)
    assert task.assignee == alternate
    event = TaskEvent.objects.get(task=task, kind="assignment")
    assert event.data["detour_from"] == finance_member.pk
    assert "away" in Notification.objects.get(user=alternate, kind="task_assigned").body


def test_specialist_away_without_delegate_leaves_it_to_the_department(worked_case, agent, finance_team, finance_member):
    from tests.workflows.task_fixtures import department_member
    from workflows.services.absences import absence_create

    colleague = department_member(finance_team, "fiona")
    now = clock.now()
    absence_create(user=finance_member, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2),
                   actor=finance_member)
    task = task_create(case=worked_case, department=finance_team, title="Refund", actor=agent, specialist=finance_member)
    assert task.assignee == colleague


def test_route_stage_goes_around_an_absent_member(worked_case, agent, billing_route, finance_member, engineer,
                                                  engineering_team):
    from tests.workflows.task_fixtures import department_member
    from workflows.services.absences import absence_create

    stand_in = department_member(engineering_team, "eve")
    now = clock.now()
    absence_create(user=engineer, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2),
                   delegate=stand_in, actor=engineer)
    task = task_create(case=worked_case, department=billing_route.stages.first().department, title="Fix",
                       actor=agent, route_template=billing_route)
    task_transition(task=task, name="accept", actor=finance_member)
    task_transition(task=task, name="advance", actor=finance_member)
    task.refresh_from_db()
    assert task.assignee == stand_in


def test_done_task_emits_a_webhook(worked_case, agent, finance_team, finance_member, django_capture_on_commit_callbacks):
    from workflows.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(name="ops", url="http://127.0.0.1:9/hook", secret="s",
                                   event_types=["task.created", "task.done"])

    def committed(action):
        # Run this change's after-commit work, but not the delivery queueing it registers in turn.
        with django_capture_on_commit_callbacks() as callbacks:
            result = action()
        for callback in callbacks:
            with django_capture_on_commit_callbacks():
                callback()
        return result

    task = committed(lambda: task_create(case=worked_case, department=finance_team, title="Refund", actor=agent))
    committed(lambda: task_transition(task=task, name="start", actor=finance_member))
    committed(lambda: task_transition(task=task, name="complete", actor=finance_member))
    sent = list(WebhookDelivery.objects.order_by("id").values_list("event_type", "payload__reference"))
    assert sent == [("task.created", task.reference), ("task.done", task.reference)]


def test_manual_department_keeps_the_task_in_its_queue(worked_case, agent, finance_member):
    from tests.factories import TeamFactory
    from workflows.models import TeamKind

    manual = TeamFactory(name="Warehouse", slug="warehouse", kind=TeamKind.DEPARTMENT, tier=None)
    task = task_create(case=worked_case, department=manual, title="Ship a replacement", actor=agent)
    assert task.assignee is None and task.state == TaskState.OPEN
