import pytest

from feedback.models import FeedbackRequest, FeedbackStatus
from tests.factories import CategoryFactory, ProductFactory, TeamFactory
from tests.workflows.task_fixtures import department_member, eager_celery  # noqa: F401
from tickets.services.cases import case_create
from workflows.models import TeamKind

pytestmark = pytest.mark.django_db


def test_product_team_pages(client, customer, agent, eager_celery, django_capture_on_commit_callbacks):
    pm = department_member(TeamFactory(name="Product", slug="product", kind=TeamKind.DEPARTMENT, tier=None), "pat")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Dark mode", category=CategoryFactory(slug="feedback"),
                           product=ProductFactory(name="Wallet"))
    item = FeedbackRequest.objects.get(case=case).item
    client.force_login(pm)
    assert "Dark mode" in client.get("/desk/feedback/").content.decode()
    client.post("/desk/feedback/", {"item": item.pk, "status": "declined", "note": "Not now"})
    item.refresh_from_db()
    assert item.status == FeedbackStatus.DECLINED
    report = client.get("/desk/feedback/report/", {"month": case.created_at.strftime("%Y-%m")}).content.decode()
    assert case.reference in report and "Wallet" in report
    client.force_login(agent)
    assert client.get("/desk/feedback/").status_code == 404
