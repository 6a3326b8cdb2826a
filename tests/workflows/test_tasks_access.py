import pytest

from helpdesk.errors import NotFound
from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.selectors import case_get, cases_visible_to, comments_visible_to
from tickets.services.cases import case_create, comment_add
from workflows.selectors.tasks import department_queue, task_case_summary, task_get, tasks_visible_to
from workflows.services.tasks import task_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(worked_case, agent, finance_team, finance_member):
    comment_add(case=worked_case, author=agent, body="Customer says the invoice is wrong", public=True)
    comment_add(case=worked_case, author=agent, body="Support-only note: VIP", public=False, author_team=worked_case.team)
    comment_add(case=worked_case, author=agent, body="Shared note: invoice INV-7", public=False, shared=True,
                author_team=worked_case.team)
    return task_create(case=worked_case, department=finance_team, title="Correct the invoice", actor=agent)


def test_department_member_sees_the_case_summary_but_not_other_teams_notes(routed, finance_member, worked_case):
    case = case_get(finance_member, worked_case.reference)
    bodies = [c.body for c in comments_visible_to(finance_member, case)]
    assert bodies == ["Customer says the invoice is wrong", "Shared note: invoice INV-7"]
    summary = task_case_summary(finance_member, task_get(finance_member, routed.reference))
    assert summary["case"].subject == worked_case.subject and not summary["full_access"]
    assert [c.body for c in summary["comments"]] == bodies


def test_department_member_sees_only_cases_behind_their_tasks(routed, finance_member, customer, support_team):
    elsewhere = case_create(requester=customer, subject="Unrelated", team=support_team)
    assert list(cases_visible_to(finance_member).values_list("pk", flat=True)) == [routed.case_id]
    with pytest.raises(NotFound):
        case_get(finance_member, elsewhere.reference)


def test_department_member_writes_on_the_case_as_their_department(routed, finance_member, finance_team, worked_case,
                                                                  agent):
    note = comment_add(case=worked_case, author=finance_member, body="Corrected in the ledger", public=False,
                       author_team=finance_team)
    assert note in comments_visible_to(agent, worked_case)  # the case's agents read it


def test_other_departments_see_nothing(routed, engineer, worked_case):
    assert not tasks_visible_to(engineer).exists()
    with pytest.raises(NotFound):
        task_get(engineer, routed.reference)
    with pytest.raises(NotFound):
        case_get(engineer, worked_case.reference)


def test_department_queue_is_for_its_members(routed, finance_member, finance_team, engineer):
    assert list(department_queue(finance_member, team=finance_team)) == [routed]
    with pytest.raises(NotFound):
        department_queue(engineer, team=finance_team)


def test_case_agents_see_the_task(routed, agent, second_agent):
    assert task_get(agent, routed.reference) == routed
    assert task_get(second_agent, routed.reference) == routed  # same team as the case
