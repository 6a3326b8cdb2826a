import pytest
from django.template import Context, Template
from django.test import RequestFactory

from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.services.cases import comment_add
from workflows.models import TaskState
from workflows.services.problems import problem_create, problem_link, problem_workaround_set
from workflows.services.tasks import task_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(worked_case, agent, finance_team, billing_route):
    comment_add(case=worked_case, author=agent, body="Support-only: VIP", public=False, author_team=worked_case.team)
    return task_create(case=worked_case, department=finance_team, title="Correct the invoice", actor=agent,
                       route_template=billing_route)


def test_department_queue_and_task_page(client, task, finance_member):
    client.force_login(finance_member)
    page = client.get("/desk/tasks/").content.decode()
    assert task.reference in page and "Validate the problem" in page
    page = client.get(f"/desk/tasks/{task.reference}/").content.decode()
    assert "Invoice shows the wrong amount" in page and "Make the system change" in page
    assert "Support-only: VIP" not in page
    response = client.post(f"/desk/tasks/{task.reference}/", {"transition": "accept"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    client.post(f"/desk/tasks/{task.reference}/", {"body": "Checking the ledger"})
    assert "Checking the ledger" in client.get(f"/desk/tasks/{task.reference}/").content.decode()


def test_refused_transition_shows_a_message(client, task, finance_member):
    client.force_login(finance_member)
    page = client.post(f"/desk/tasks/{task.reference}/", {"transition": "reject"}, follow=True).content.decode()
    assert "Say why you reject the task." in page


def test_outsiders_and_customers_get_404(client, task, engineer, customer):
    client.force_login(engineer)
    assert client.get(f"/desk/tasks/{task.reference}/").status_code == 404
    client.force_login(customer)
    assert client.get("/desk/tasks/").status_code == 404


def test_agent_routes_a_task_from_the_case(client, worked_case, agent, finance_team):
    client.force_login(agent)
    assert client.get(f"/desk/cases/{worked_case.reference}/tasks/new/").status_code == 200
    response = client.post(f"/desk/cases/{worked_case.reference}/tasks/new/",
                           {"title": "Refund", "department": finance_team.pk, "blocking": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/desk/tasks/TK-")


def test_stall_report_page_for_managers(client, manager, agent, task):
    client.force_login(manager)
    assert "Longest open tasks" in client.get("/desk/reports/task-stalls/").content.decode()
    client.force_login(agent)
    assert client.get("/desk/reports/task-stalls/").status_code == 404


def test_problem_pages_link_and_send(client, agent, engineer, engineering_team, worked_case):
    problem = problem_create(title="Double charges", actor=engineer, department=engineering_team, keywords="invoice")
    client.force_login(agent)
    assert "Double charges" in client.get("/desk/problems/").content.decode()
    detail = client.get(f"/desk/problems/{problem.reference}/").content.decode()
    assert worked_case.reference in detail  # suggested by the keyword
    client.post(f"/desk/problems/{problem.reference}/", {"op": "link", "case": worked_case.reference})
    problem_workaround_set(problem=problem, workaround="Pay by transfer", actor=engineer)
    response = client.post(f"/desk/problems/{problem.reference}/",
                           {"op": "send", "case": worked_case.reference, "next": "https://evil.example/"})
    assert response["Location"] == f"/desk/problems/{problem.reference}/"
    assert worked_case.comments.filter(is_public=True, body__contains="Pay by transfer").exists()


def test_case_panel_shows_route_workaround_and_suggestions(agent, engineer, engineering_team, task, worked_case):
    problem = problem_create(title="Double charges", actor=engineer, department=engineering_team, keywords="invoice")
    other = problem_create(title="Invoices wrong", actor=engineer, department=engineering_team, keywords="invoice")
    problem_link(problem=problem, case=worked_case, actor=agent)
    problem_workaround_set(problem=problem, workaround="Pay by transfer", actor=engineer)
    request = RequestFactory().get(f"/desk/cases/{worked_case.reference}/")
    request.user = agent
    html = Template("{% load task_panels %}{% case_work_panel case %}").render(
        Context({"request": request, "case": worked_case, "csrf_token": "x"}))
    assert task.reference in html and "Validate the problem" in html
    assert "Pay by transfer" in html and "Send the workaround" in html
    assert other.reference in html  # suggested for linking
