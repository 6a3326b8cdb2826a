from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.workflows.task_fixtures import *  # noqa: F401,F403
from workflows.selectors.tasks import department_board
from workflows.selectors.tasks_report import percentile, stage_stalls
from workflows.services.tasks import task_create, task_transition

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _walk(case, agent, route, plan, traveller):
    """Create a routed task and spend `plan[i]` hours in stage i (None: stay there)."""
    task = task_create(case=case, department=route.stages.first().department, title="Fix", actor=agent,
                       route_template=route)
    members = {}
    for i, hours in enumerate(plan):
        task.refresh_from_db()
        member = task.assignee
        members[i] = member
        if hours is None:
            return task
        task_transition(task=task, name="start", actor=member)
        traveller.shift(timedelta(hours=hours))
        task_transition(task=task, name="advance" if i < 3 else "complete", actor=member)
    return task


def test_stall_report_on_known_data(worked_case, agent, billing_route, engineer):
    with time_machine.travel(T0, tick=False) as traveller:
        _walk(worked_case, agent, billing_route, [1, 10, 2, 1], traveller)
        _walk(worked_case, agent, billing_route, [3, 20, 4, 1], traveller)
        _walk(worked_case, agent, billing_route, [5, 30, 6, 1], traveller)
        stuck = _walk(worked_case, agent, billing_route, [2, None], traveller)
        traveller.shift(timedelta(hours=50))
        report = stage_stalls()
    by_stage = {r["stage"]: r for r in report["stages"]}
    assert by_stage["Validate the problem"]["count"] == 4
    assert by_stage["Validate the problem"]["median_seconds"] == 2.5 * 3600
    change = by_stage["Make the system change"]
    assert (change["count"], change["median_seconds"], change["p90_seconds"]) == (3, 20 * 3600, 30 * 3600)
    assert change["department"] == "Engineering"
    longest = report["longest_open"][0]
    assert longest["task"] == stuck.reference and longest["stage"] == "Make the system change"
    assert longest["waiting_seconds"] == 50 * 3600 and longest["holder"] == str(engineer)


def test_percentile_nearest_rank():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([7], 90) == 7


def test_department_board_groups_by_stage(worked_case, agent, billing_route, engineering_team):
    with time_machine.travel(T0, tick=False) as traveller:
        task = task_create(case=worked_case, department=billing_route.stages.first().department, title="Fix",
                           actor=agent, route_template=billing_route)
        task.refresh_from_db()
        task_transition(task=task, name="accept", actor=task.assignee)
        task_transition(task=task, name="advance", actor=task.assignee)
        traveller.shift(timedelta(minutes=45))
        board = department_board(team=engineering_team)
    assert board["total"] == 1
    column = board["columns"][0]
    assert column["stage"] == "Billing defect · Make the system change"
    assert column["tasks"][0]["in_stage_seconds"] == 45 * 60
    assert list(board["stages"]) == ["Billing defect · Make the system change"]
