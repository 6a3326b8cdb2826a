"""The background fix of a problem, group by group: what customers, agents and the SLA see afterwards."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.models import Clock, ClockState, TargetKind
from tests.factories import CustomerFactory
from tests.sla.conftest import always_calendar, default_policy  # noqa: F401
from tests.workflows.task_fixtures import *  # noqa: F401,F403
from tickets.models import Case, CaseEvent, Comment, EventKind, State
from tickets.selectors import events_visible_to
from tickets.services.cases import case_assign, case_create, case_transition
from workflows import problem_jobs
from workflows.models import Notification, Problem, ProblemLink, ProblemNotification
from workflows.services.problems import problem_create, problem_fix, problem_fix_cases, problem_link

pytestmark = pytest.mark.django_db

RESOLUTION = "We refunded the second charge."
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def problem(engineer, engineering_team):
    return problem_create(title="Card payments double-charged", actor=engineer, department=engineering_team,
                          keywords="charged twice")


@pytest.fixture
def small_groups(monkeypatch):
    """Two cases per transaction and four per task, so a handful of cases spans several of each."""
    monkeypatch.setattr(problem_jobs, "COMMIT_EVERY", 2)
    monkeypatch.setattr(problem_jobs, "BATCH_SIZE", 4)


def _case(requester, team, agent=None, state=State.IN_PROGRESS, subject="I was charged twice"):
    """Create a case through the services and walk it to `state` (NEW stays new)."""
    case = case_create(requester=requester, subject=subject, team=team)
    if state == State.TRIAGED:
        case_transition(case=case, name="triage", actor=agent)
    elif state != State.NEW:
        case_assign(case=case, assignee=agent, actor=agent)
        if state in (State.IN_PROGRESS, State.WAITING_ON_CUSTOMER):
            case_transition(case=case, name="start", actor=agent)
        if state == State.WAITING_ON_CUSTOMER:
            case_transition(case=case, name="wait_on_customer", actor=agent)
        if state == State.WAITING_ON_INTERNAL:
            case_transition(case=case, name="wait_on_internal", actor=agent)
    case.refresh_from_db()
    assert case.state == state
    return case


def _fix(problem, engineer, capture, resolution=RESOLUTION):
    with capture(execute=True):
        problem_fix(problem=problem, resolution=resolution, actor=engineer)
    problem.refresh_from_db()
    return problem


def _timeline(user, case, after_id):
    """The case's events after `after_id` as `user` sees them: (kind, what) pairs."""
    out = []
    for event in events_visible_to(user, case, after_id=after_id):
        what = event.data.get("transition") or event.data.get("type") or ""
        out.append((event.kind, what))
    return out


def test_every_open_case_gets_the_reply_and_is_resolved_with_its_events(
    problem, engineer, agent, support_team, customer, eager_celery, small_groups, django_capture_on_commit_callbacks
):
    states = [State.NEW, State.TRIAGED, State.ASSIGNED, State.IN_PROGRESS, State.WAITING_ON_CUSTOMER,
              State.WAITING_ON_INTERNAL]
    cases = [_case(customer, support_team, agent, state=s) for s in states]
    for case in cases:
        problem_link(problem=problem, case=case, actor=agent)
    last_event = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    _fix(problem, engineer, django_capture_on_commit_callbacks)
    assert problem.fix_completed_at is not None
    for case, before in zip(cases, states, strict=True):
        case.refresh_from_db()
        assert case.state == State.RESOLVED and case.resolved_at is not None
        assert case.first_responded_at is not None
        reply = Comment.objects.filter(case=case).last()
        assert (reply.body, reply.is_public, reply.author) == (RESOLUTION, True, engineer)
        moves = [("transition", "triage")] if before == State.NEW else []
        # The customer's timeline: the reply, then the state changes; the problem note is internal.
        assert _timeline(customer, case, last_event) == [("comment", ""), *moves, ("transition", "resolve")]
        assert _timeline(agent, case, last_event) == [("comment", ""), *moves, ("transition", "resolve"), ("problem", "fixed")]
    new_case = cases[0]
    triage, resolve = CaseEvent.objects.filter(case=new_case, kind=EventKind.TRANSITION).order_by("-id")[:2][::-1]
    assert (triage.before["state"], triage.after["state"]) == (State.NEW, State.TRIAGED)
    assert (resolve.before["state"], resolve.after["state"]) == (State.TRIAGED, State.RESOLVED)
    assert resolve.actor_kind == "system" and resolve.actor_label == f"{problem.reference} fixed by {engineer}"
    assert resolve.reason == f"{problem.reference} is fixed."
    waiting = CaseEvent.objects.filter(case=cases[4], kind=EventKind.TRANSITION).last()
    assert waiting.before["state"] == State.WAITING_ON_CUSTOMER


def test_each_customer_is_told_once_however_many_cases_and_groups(
    problem, engineer, agent, support_team, customer, eager_celery, small_groups, mailoutbox,
    django_capture_on_commit_callbacks
):
    olga = CustomerFactory(username="olga", email="olga@example.com")
    cases = [_case(customer, support_team, agent) for _ in range(5)] + [_case(olga, support_team, agent)
                                                                         for _ in range(2)]
    for case in cases:
        problem_link(problem=problem, case=case, actor=agent)
    _fix(problem, engineer, django_capture_on_commit_callbacks)
    told = Notification.objects.filter(kind="problem_fixed")
    assert sorted(told.values_list("user__username", flat=True)) == ["carol", "olga"]
    assert all(n.title == f"Fixed: {problem.title}" and n.body == RESOLUTION for n in told)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([customer.email, olga.email])
    assert ProblemNotification.objects.filter(problem=problem).count() == 2


def test_running_the_fix_again_changes_nothing(
    problem, engineer, agent, support_team, customer, eager_celery, small_groups, django_capture_on_commit_callbacks
):
    cases = [_case(customer, support_team, agent, state=s) for s in (State.NEW, State.IN_PROGRESS, State.ASSIGNED)]
    for case in cases:
        problem_link(problem=problem, case=case, actor=agent)
    _fix(problem, engineer, django_capture_on_commit_callbacks)
    events, versions = CaseEvent.objects.count(), list(Case.objects.order_by("pk").values_list("version", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as published:
        assert problem_jobs.problem_fix_batch(problem.pk, [c.pk for c in cases]) == 0
        assert problem_fix_cases(problem=problem, case_ids=[c.pk for c in cases]) == 0
        problem_jobs.problem_fix_dispatch(problem.pk)
    assert published == []
    assert CaseEvent.objects.count() == events
    assert list(Case.objects.order_by("pk").values_list("version", flat=True)) == versions
    assert Comment.objects.filter(body=RESOLUTION).count() == 3
    assert Notification.objects.filter(kind="problem_fixed").count() == 1


def test_cases_no_longer_open_are_left_as_they_are(
    problem, engineer, agent, support_team, customer, eager_celery, small_groups, django_capture_on_commit_callbacks
):
    olga, oscar = CustomerFactory(username="olga"), CustomerFactory(username="oscar")
    open_case = _case(customer, support_team, agent)
    resolved = _case(olga, support_team, agent)
    withdrawn = _case(oscar, support_team, agent)
    for case in (open_case, resolved, withdrawn):
        problem_link(problem=problem, case=case, actor=agent)
    # Between the link and the fix, one case was solved another way and one withdrawn.
    case_transition(case=resolved, name="resolve", actor=agent)
    case_transition(case=withdrawn, name="cancel", actor=agent)
    before = {c.pk: CaseEvent.objects.filter(case=c).count() for c in (resolved, withdrawn)}
    _fix(problem, engineer, django_capture_on_commit_callbacks)
    for case, state in ((resolved, State.RESOLVED), (withdrawn, State.CANCELLED)):
        case.refresh_from_db()
        assert case.state == state
        assert not Comment.objects.filter(case=case, body=RESOLUTION).exists()
        assert CaseEvent.objects.filter(case=case).count() == before[case.pk]
    open_case.refresh_from_db()
    assert open_case.state == State.RESOLVED
    # The customer whose case was resolved another way still hears about the fix; a withdrawn case's does not.
    told = sorted(Notification.objects.filter(kind="problem_fixed").values_list("user__username", flat=True))
    assert told == ["carol", "olga"]
    assert not ProblemLink.objects.filter(problem=problem, fix_applied_at__isnull=True).exists()
    assert problem.fix_completed_at is not None


def test_a_case_that_fails_does_not_hold_back_the_others_of_its_group(
    problem, engineer, agent, support_team, customer, eager_celery, needs_postgres, django_capture_on_commit_callbacks
):
    olga = CustomerFactory(username="olga")
    cases = [_case(customer, support_team, agent), _case(olga, support_team, agent), _case(customer, support_team, agent)]
    bad = cases[1]
    for case in cases:
        problem_link(problem=problem, case=case, actor=agent)
    # The database refuses any comment on one case, as a broken row or a constraint would.
    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE FUNCTION refuse_comment() RETURNS trigger AS $$
            BEGIN IF NEW.case_id = {bad.pk} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_comment BEFORE INSERT ON tickets_comment FOR EACH ROW EXECUTE FUNCTION refuse_comment();
        """)
    _fix(problem, engineer, django_capture_on_commit_callbacks)
    states = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "state"))
    assert states == {cases[0].pk: State.RESOLVED, bad.pk: State.IN_PROGRESS, cases[2].pk: State.RESOLVED}
    assert list(ProblemLink.objects.filter(problem=problem, fix_applied_at__isnull=True)
                .values_list("case_id", flat=True)) == [bad.pk]
    assert problem.fix_completed_at is None
    assert list(Notification.objects.filter(kind="problem_fixed").values_list("user__username", flat=True)) == ["carol"]
    # Once the database accepts it again, the next run fixes that case and completes the fix.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_comment ON tickets_comment; DROP FUNCTION refuse_comment();")
    with django_capture_on_commit_callbacks(execute=True):
        problem_jobs.problem_fix_dispatch(problem.pk)
    bad.refresh_from_db()
    problem.refresh_from_db()
    assert bad.state == State.RESOLVED and problem.fix_completed_at is not None
    assert sorted(Notification.objects.filter(kind="problem_fixed").values_list("user__username", flat=True)) == [
        "carol", "olga"]


def test_the_fix_stops_the_sla_clocks(
    default_policy, problem, engineer, agent, support_team, customer, eager_celery, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False) as travel:
        fresh = _case(customer, support_team, agent, state=State.NEW)
        waiting = _case(customer, support_team, agent, state=State.WAITING_ON_CUSTOMER)
        for case in (fresh, waiting):
            problem_link(problem=problem, case=case, actor=agent)
        travel.shift(timedelta(hours=2))
        _fix(problem, engineer, django_capture_on_commit_callbacks)
    clocks = {(c.case_id, c.kind): c for c in Clock.objects.filter(case__in=[fresh, waiting])}
    for case in (fresh, waiting):
        first, resolution = clocks[(case.pk, TargetKind.FIRST_RESPONSE)], clocks[(case.pk, TargetKind.RESOLUTION)]
        # The reply is the first response, two hours in.
        assert first.state == ClockState.MET and first.met_at == T0 + timedelta(hours=2)
        assert first.next_check_at is None
        assert resolution.state == ClockState.MET and resolution.met_at == T0 + timedelta(hours=2)
        assert resolution.next_check_at is None
        met = CaseEvent.objects.filter(case=case, kind=EventKind.SLA, data__type="met", data__target="resolution")
        assert met.count() == 1
    # The waiting case's resolution clock was paused for the whole two hours: they do not count.
    assert clocks[(waiting.pk, TargetKind.RESOLUTION)].paused_seconds == 2 * 3600
    assert CaseEvent.objects.get(case=waiting, kind=EventKind.SLA, data__type="met",
                                 data__target="resolution").data["business_seconds"] == 0
    assert not Clock.objects.filter(case__in=[fresh, waiting], state__in=[ClockState.RUNNING, ClockState.PAUSED]).exists()


def test_a_group_costs_the_same_statements_whatever_its_size(problem, engineer, agent, support_team, customer,
                                                             other_customer):
    small = [_case(customer, support_team, agent) for _ in range(3)]
    large = [_case(other_customer, support_team, agent) for _ in range(12)]
    for case in small + large:
        problem_link(problem=problem, case=case, actor=agent)
    problem_fix(problem=problem, resolution=RESOLUTION, actor=engineer)
    problem = Problem.objects.select_related("fixed_by").get(pk=problem.pk)  # as the task loads it
    counts = []
    for group in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert problem_fix_cases(problem=problem, case_ids=[c.pk for c in group]) == len(group)
        counts.append(len(queries))
    assert counts[0] == counts[1]
