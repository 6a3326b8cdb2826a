import pytest

from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.models import State
from workflows.models import Task, TaskState

pytestmark = pytest.mark.django_db


def _create(api, agent, case, department, **extra):
    return api(agent).post("/api/v1/tasks/", {"case": case.reference, "department": department.pk,
                                              "title": "Correct the invoice", **extra}, format="json")


def test_agent_routes_a_task_and_the_department_works_it(api, agent, worked_case, finance_team, finance_member):
    response = _create(api, agent, worked_case, finance_team)
    assert response.status_code == 201, response.data
    ref = response.data["reference"]
    assert response.data["assignee"]["id"] == finance_member.pk
    queue = api(finance_member).get(f"/api/v1/tasks/?department={finance_team.pk}")
    assert [t["reference"] for t in queue.data["results"]] == [ref]
    for name in ("accept", "start", "complete"):
        r = api(finance_member).post(f"/api/v1/tasks/{ref}/transitions/{name}/", {}, format="json")
        assert r.status_code == 200, r.data
    assert r.data["state"] == TaskState.DONE
    worked_case.refresh_from_db()
    assert worked_case.state == State.IN_PROGRESS


def test_illegal_transition_answers_409_with_the_options(api, agent, worked_case, finance_team, finance_member):
    ref = _create(api, agent, worked_case, finance_team).data["reference"]
    r = api(finance_member).post(f"/api/v1/tasks/{ref}/transitions/complete/", {}, format="json")
    assert r.status_code == 409
    assert r.data["state"] == "open" and "accept" in r.data["allowed_transitions"]


def test_reject_without_reason_is_400(api, agent, worked_case, finance_team, finance_member):
    ref = _create(api, agent, worked_case, finance_team).data["reference"]
    r = api(finance_member).post(f"/api/v1/tasks/{ref}/transitions/reject/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.data["fields"]


def test_outsider_gets_404(api, agent, worked_case, finance_team, engineer, customer):
    ref = _create(api, agent, worked_case, finance_team).data["reference"]
    assert api(engineer).get(f"/api/v1/tasks/{ref}/").status_code == 404
    assert api(customer).get(f"/api/v1/tasks/{ref}/").status_code == 404
    assert api(engineer).get(f"/api/v1/departments/{finance_team.pk}/queue/").status_code == 404


def test_task_detail_shows_the_route(api, agent, worked_case, billing_route, finance_team, finance_member):
    r = _create(api, agent, worked_case, finance_team, route_template=billing_route.pk)
    detail = api(finance_member).get(f"/api/v1/tasks/{r.data['reference']}/").data
    assert [s["status"] for s in detail["route"]] == ["current", "ahead", "ahead", "ahead"]
    assert [t["name"] for t in detail["allowed_transitions"]] == ["accept", "start", "reject"]


def test_comments_shared_with_the_case_agents(api, agent, second_agent, worked_case, finance_team, finance_member):
    ref = _create(api, agent, worked_case, finance_team).data["reference"]
    assert api(finance_member).post(f"/api/v1/tasks/{ref}/comments/", {"body": "Need the invoice number"},
                                    format="json").status_code == 201
    bodies = [c["body"] for c in api(second_agent).get(f"/api/v1/tasks/{ref}/comments/").data]
    assert bodies == ["Need the invoice number"]


def test_department_queue_board(api, agent, worked_case, finance_team, finance_member):
    _create(api, agent, worked_case, finance_team)
    board = api(finance_member).get(f"/api/v1/departments/{finance_team.pk}/queue/").data
    assert board["total"] == 1 and board["columns"][0]["stage"] == "Open"


def test_route_templates_created_by_managers(api, manager, agent, finance_team):
    body = {"name": "Refund check", "stages": [{"name": "Validate", "department": finance_team.pk}]}
    assert api(agent).post("/api/v1/route-templates/", body, format="json").status_code == 404
    r = api(manager).post("/api/v1/route-templates/", body, format="json")
    assert r.status_code == 201 and r.data["stages"][0]["department"]["name"] == "Finance"
    assert api(manager).post("/api/v1/route-templates/", {"name": "Empty", "stages": []}, format="json").status_code == 400


def test_stall_report_for_managers_only(api, manager, agent):
    assert api(manager).get("/api/v1/reports/task-stalls/").status_code == 200
    assert api(agent).get("/api/v1/reports/task-stalls/").status_code == 404


def test_failed_create_writes_nothing(api, agent, worked_case, finance_team):
    r = _create(api, agent, worked_case, finance_team, due_at="2001-01-01T00:00:00Z")
    assert r.status_code == 400 and not Task.objects.exists()
