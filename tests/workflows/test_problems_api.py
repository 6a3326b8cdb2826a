import pytest

from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.models import State
from tickets.services.cases import case_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem_ref(api, engineer, engineering_team):
    r = api(engineer).post("/api/v1/problems/", {"title": "Double charges", "department": engineering_team.pk,
                                                 "keywords": "twice"}, format="json")
    assert r.status_code == 201, r.data
    return r.data["reference"]


def test_link_workaround_send_and_fix(api, agent, engineer, worked_case, problem_ref, eager_celery,
                                      django_capture_on_commit_callbacks):
    assert api(agent).post(f"/api/v1/problems/{problem_ref}/link/", {"case": worked_case.reference},
                           format="json").status_code == 200
    r = api(engineer).post(f"/api/v1/problems/{problem_ref}/workaround/", {"workaround": "Use the app"}, format="json")
    assert r.data["status"] == "known_error"
    linked = api(agent).get(f"/api/v1/case-problems/{worked_case.reference}/").data["linked"]
    assert linked[0]["workaround"] == "Use the app"
    sent = api(agent).post(f"/api/v1/problems/{problem_ref}/send-workaround/", {"case": worked_case.reference},
                           format="json")
    assert sent.status_code == 201 and sent.data["is_public"]
    with django_capture_on_commit_callbacks(execute=True):
        r = api(engineer).post(f"/api/v1/problems/{problem_ref}/fix/", {"resolution": "Refunded."}, format="json")
    assert r.status_code == 202
    worked_case.refresh_from_db()
    assert worked_case.state == State.RESOLVED
    progress = api(engineer).get(f"/api/v1/problems/{problem_ref}/progress/").data
    assert progress["applied"] == progress["linked"] == 1 and progress["customers_notified"] == 1
    assert api(engineer).post(f"/api/v1/problems/{problem_ref}/fix/", {"resolution": "x"}, format="json").status_code == 409


def test_suggestions_for_a_new_case(api, agent, customer, support_team, problem_ref):
    case = case_create(requester=customer, subject="Charged twice", team=support_team)
    data = api(agent).get(f"/api/v1/case-problems/{case.reference}/").data
    assert [p["reference"] for p in data["suggested"]] == [problem_ref]


def test_customers_see_no_problems(api, customer, problem_ref):
    assert api(customer).get(f"/api/v1/problems/{problem_ref}/").status_code == 404
    assert api(customer).get("/api/v1/problems/").data["results"] == []


def test_only_owning_department_fixes(api, agent, problem_ref):
    assert api(agent).post(f"/api/v1/problems/{problem_ref}/fix/", {"resolution": "x"}, format="json").status_code == 404
