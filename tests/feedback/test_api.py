import pytest

from feedback.models import FeedbackRequest
from tests.factories import CategoryFactory, ProductFactory, TeamFactory
from tests.workflows.task_fixtures import department_member, eager_celery  # noqa: F401
from tickets.services.cases import case_create
from workflows.models import Notification, TeamKind

pytestmark = pytest.mark.django_db


def test_product_team_decides_over_the_api(api, customer, agent, manager, eager_celery,
                                           django_capture_on_commit_callbacks):
    team = TeamFactory(name="Product", slug="product", kind=TeamKind.DEPARTMENT, tier=None)
    pm = department_member(team, "pat")
    category = CategoryFactory(name="Feedback", slug="feedback")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Dark mode", category=category, product=ProductFactory(area="UI"))
    item = FeedbackRequest.objects.get(case=case).item
    assert api(agent).get("/api/v1/feedback/items/").status_code == 404
    r = api(pm).post(f"/api/v1/feedback/items/{item.pk}/status/", {"status": "shipped", "note": "In 2.4"}, format="json")
    assert r.status_code == 200 and r.data["loop_closed_at"] and r.data["cases"] == [case.reference]
    assert Notification.objects.filter(user=customer, kind="feedback_status").count() == 1
    assert api(pm).post(f"/api/v1/feedback/items/{item.pk}/status/", {"status": "planned"}, format="json").status_code == 409
    report = api(manager).get("/api/v1/feedback/report/", {"month": case.created_at.strftime("%Y-%m")}).data
    assert report["total"] == 1 and report["by_product"][0]["count"] == 1
    assert api(manager).get("/api/v1/feedback/report/", {"month": "nope"}).status_code == 400
