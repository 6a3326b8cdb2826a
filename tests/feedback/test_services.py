from datetime import datetime, timezone

import pytest
import time_machine

from feedback.models import FeedbackEvent, FeedbackRequest, FeedbackStatus
from feedback.selectors import monthly_report
from feedback.services import feedback_request_move, feedback_status_set
from helpdesk.errors import Conflict, NotFound
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory, TeamFactory
from tests.workflows.task_fixtures import department_member, eager_celery  # noqa: F401
from tickets.models import CaseEvent, EventKind
from tickets.services.cases import case_create, case_update
from workflows.models import Notification, TeamKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_team(db):
    return TeamFactory(name="Product", slug="product", kind=TeamKind.DEPARTMENT, tier=None)


@pytest.fixture
def product_manager(product_team):
    return department_member(product_team, "pat")


@pytest.fixture
def feedback_category(db):
    root = CategoryFactory(name="Feedback", slug="feedback")
    return CategoryFactory(name="Feature request", slug="feature-request", parent=root)


@pytest.fixture
def wallet(db):
    return ProductFactory(name="Wallet", area="Payments")


def _ask(customer, category, product, subject="Please add dark mode", tags=("ui",)):
    return case_create(requester=customer, subject=subject, category=category, product=product, tags=list(tags))


def test_feedback_case_reaches_the_product_team(customer, feedback_category, wallet, product_manager, eager_celery,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = _ask(customer, feedback_category, wallet)
    request = FeedbackRequest.objects.get(case=case)
    assert (request.area, request.theme, request.customer) == ("Payments", "ui", customer)
    assert Notification.objects.filter(user=product_manager, kind="product_feedback", case=case).exists()
    assert CaseEvent.objects.filter(case=case, kind=EventKind.FEEDBACK, data__type="captured").exists()


def test_recategorised_case_is_captured_once(customer, agent, support_team, feedback_category, wallet, product_manager,
                                             eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Idea", product=wallet, team=support_team)
    assert not FeedbackRequest.objects.filter(case=case).exists()
    with django_capture_on_commit_callbacks(execute=True):
        case_update(case=case, actor=agent, changes={"category": feedback_category})
    with django_capture_on_commit_callbacks(execute=True):
        case_update(case=case, actor=agent, changes={"subject": "Idea: dark mode"})
    assert FeedbackRequest.objects.filter(case=case).count() == 1


def test_status_tells_each_asker_once_and_closes_the_loop(customer, feedback_category, wallet, product_manager,
                                                         eager_celery, django_capture_on_commit_callbacks):
    other = CustomerFactory(username="olga")
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(customer, feedback_category, wallet)
        second = _ask(customer, feedback_category, wallet, subject="Dark mode again")
        third = _ask(other, feedback_category, wallet, subject="Night theme")
    item = FeedbackRequest.objects.get(case=first).item
    for case in (second, third):
        feedback_request_move(request=FeedbackRequest.objects.get(case=case), item=item, actor=product_manager)
    feedback_status_set(item=item, status="planned", actor=product_manager, note="Coming in spring.")
    told = Notification.objects.filter(kind="feedback_status")
    assert sorted(told.values_list("user__username", flat=True)) == ["carol", "olga"]
    item.refresh_from_db()
    assert item.status == FeedbackStatus.PLANNED and item.loop_closed_at is not None
    assert FeedbackEvent.objects.filter(item=item, kind="loop_closed").get().data == {"customers_told": 2, "requests": 3}
    feedback_status_set(item=item, status="shipped", actor=product_manager)
    assert told.count() == 4
    with pytest.raises(Conflict):
        feedback_status_set(item=item, status="declined", actor=product_manager)


def test_only_the_product_team_decides(customer, feedback_category, wallet, agent, product_manager, eager_celery,
                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = _ask(customer, feedback_category, wallet)
    with pytest.raises(NotFound):
        feedback_status_set(item=FeedbackRequest.objects.get(case=case).item, status="planned", actor=agent)


def test_monthly_report_counts_by_product_and_theme(customer, feedback_category, wallet, manager, eager_celery,
                                                   django_capture_on_commit_callbacks):
    cards = ProductFactory(name="Cards", area="Payments")
    with time_machine.travel(datetime(2026, 10, 30, tzinfo=timezone.utc), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            _ask(customer, feedback_category, wallet, subject="October idea")
    with time_machine.travel(datetime(2026, 11, 3, tzinfo=timezone.utc), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            a = _ask(customer, feedback_category, wallet)
            _ask(customer, feedback_category, wallet, tags=("export",))
            _ask(customer, feedback_category, cards)
    report = monthly_report(manager, month="2026-11")
    assert report["total"] == 3
    assert report["by_product"] == [{"product": "Wallet", "count": 2}, {"product": "Cards", "count": 1}]
    assert report["by_theme"] == [{"theme": "ui", "count": 2}, {"theme": "export", "count": 1}]
    wallet_ui = next(g for g in report["groups"] if g["product"] == "Wallet" and g["theme"] == "ui")
    assert [c["reference"] for c in wallet_ui["cases"]] == [a.reference]
