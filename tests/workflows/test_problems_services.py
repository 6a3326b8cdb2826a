import pytest

from helpdesk.errors import Conflict, NotFound
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory
from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.models import CaseEvent, Comment, EventKind, State
from tickets.services.cases import case_assign, case_create, case_transition
from workflows import problem_jobs
from workflows.models import Notification, ProblemNotification, ProblemStatus
from workflows.selectors.problems import case_problems, problem_candidate_cases
from workflows.services.problems import (
    problem_create,
    problem_fix,
    problem_link,
    problem_workaround_send,
    problem_workaround_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(engineer, engineering_team):
    return problem_create(title="Card payments double-charged", actor=engineer, department=engineering_team,
                          summary="Some card payments were taken twice.", keywords="double charge, charged twice")


def _case(requester, team, agent=None, subject="I was charged twice"):
    case = case_create(requester=requester, subject=subject, team=team)
    if agent is not None:
        case_assign(case=case, assignee=agent, actor=agent)
        case_transition(case=case, name="start", actor=agent)
    return case


def test_fix_resolves_every_linked_open_case_and_tells_each_customer_once(
    problem, engineer, agent, support_team, customer, eager_celery, django_capture_on_commit_callbacks
):
    other = CustomerFactory(username="olga")
    cases = [_case(customer, support_team, agent), _case(customer, support_team),  # carol twice
             _case(other, support_team, agent)]
    closed = _case(other, support_team, agent, subject="Old one")
    case_transition(case=closed, name="resolve", actor=agent)
    case_transition(case=closed, name="close", actor=agent)
    for case in cases + [closed]:
        problem_link(problem=problem, case=case, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        problem_fix(problem=problem, resolution="We refunded the second charge.", actor=engineer)
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.RESOLVED
        reply = Comment.objects.filter(case=case, is_public=True).last()
        assert reply.body == "We refunded the second charge." and reply.author == engineer
        assert CaseEvent.objects.filter(case=case, kind=EventKind.PROBLEM, data__type="fixed").exists()
    closed.refresh_from_db()
    assert closed.state == State.CLOSED
    assert not Comment.objects.filter(case=closed, body="We refunded the second charge.").exists()
    told = Notification.objects.filter(kind="problem_fixed")
    assert sorted(told.values_list("user__username", flat=True)) == ["carol", "olga"]
    problem.refresh_from_db()
    assert problem.state == ProblemStatus.FIXED and problem.fix_completed_at is not None


def test_fix_batches_are_idempotent(problem, engineer, agent, support_team, customer, eager_celery,
                                    django_capture_on_commit_callbacks):
    cases = [_case(customer, support_team, agent) for _ in range(3)]
    for case in cases:
        problem_link(problem=problem, case=case, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        problem_fix(problem=problem, resolution="Fixed.", actor=engineer)
    replies = Comment.objects.filter(body="Fixed.").count()
    assert problem_jobs.problem_fix_batch(problem.pk, [c.pk for c in cases]) == 0
    problem_jobs.problem_fix_dispatch(problem.pk)
    assert Comment.objects.filter(body="Fixed.").count() == replies == 3
    assert ProblemNotification.objects.filter(problem=problem).count() == 1
    assert Notification.objects.filter(kind="problem_fixed", user=customer).count() == 1


def test_fix_does_not_run_in_the_request(problem, engineer, agent, support_team, customer,
                                         django_capture_on_commit_callbacks):
    case = _case(customer, support_team, agent)
    problem_link(problem=problem, case=case, actor=agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        problem_fix(problem=problem, resolution="Fixed.", actor=engineer)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and len(callbacks) == 1


def test_workaround_shown_and_sent_in_one_click(problem, engineer, agent, support_team, customer):
    case = _case(customer, support_team, agent)
    problem_link(problem=problem, case=case, actor=agent)
    problem_workaround_set(problem=problem, workaround="Pay by bank transfer for now.", actor=engineer)
    shown = case_problems(agent, case)["linked"][0]
    assert shown.workaround == "Pay by bank transfer for now." and shown.state == ProblemStatus.KNOWN_ERROR
    comment = problem_workaround_send(problem=shown, case=case, actor=agent)
    assert comment.is_public and "Pay by bank transfer" in comment.body
    types = list(CaseEvent.objects.filter(case=case, kind=EventKind.PROBLEM).values_list("data__type", flat=True))
    assert types == ["linked", "workaround"]


def test_link_is_idempotent_and_needs_case_staff(problem, agent, support_team, customer, engineer):
    case = _case(customer, support_team, agent)
    problem_link(problem=problem, case=case, actor=agent)
    problem_link(problem=problem, case=case, actor=agent)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.PROBLEM).count() == 1
    with pytest.raises(NotFound):
        problem_link(problem=problem, case=_case(customer, support_team), actor=engineer)


def test_only_the_owning_department_fixes(problem, agent):
    with pytest.raises(NotFound):
        problem_fix(problem=problem, resolution="x", actor=agent)


def test_fixed_problem_cannot_be_fixed_again(problem, engineer):
    problem_fix(problem=problem, resolution="Fixed.", actor=engineer)
    with pytest.raises(Conflict):
        problem_fix(problem=problem, resolution="Again.", actor=engineer)


def test_matching_rule_suggests_and_points_new_cases_at_the_resolution(engineer, engineering_team, agent, support_team,
                                                                       customer):
    product = ProductFactory(name="Wallet")
    billing = CategoryFactory(name="Billing", slug="billing")
    refund = CategoryFactory(name="Refund", slug="refund", parent=billing)
    open_problem = problem_create(title="Double charges", actor=engineer, department=engineering_team,
                                  product=product, category=billing, keywords="twice")
    fixed = problem_create(title="Old double charges", actor=engineer, department=engineering_team,
                           product=product, keywords="twice")
    problem_fix(problem=fixed, resolution="Refunded automatically.", actor=engineer)
    match = case_create(requester=customer, subject="Charged twice", product=product, category=refund, team=support_team)
    other = case_create(requester=customer, subject="Charged twice", category=refund, team=support_team)
    seen = case_problems(agent, match)
    assert seen["suggested"] == [open_problem] and seen["resolved_by"] == [fixed]
    assert case_problems(agent, other)["suggested"] == []
    assert problem_candidate_cases(agent, open_problem) == [match]
