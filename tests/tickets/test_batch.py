"""case_resolve_many leaves each case as the single-case services would, with set-based statements."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.eventlog import Actor
from sla.models import Clock
from tests.sla.conftest import always_calendar, default_policy  # noqa: F401
from tickets.models import Case, CaseEvent, Comment, EventKind, State, Visibility
from tickets.services.batch import case_resolve_many
from tickets.services.cases import case_transition, comment_add

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
REPLY = "Fixed on our side; you were refunded."
ROBOT = Actor.system("PB-00001 fixed by Erin")
WHY = "PB-00001 is fixed."

# The states a case may be in when a batch resolves it, and what happened to it before.
SHAPES = [
    ("new", None), ("triaged", None), ("assigned", None), ("in_progress", "agent replied"),
    ("waiting_on_customer", None), ("waiting_on_internal", None), ("in_progress", "customer waits for an answer"),
    ("in_progress", "escalated"),
]


def _prepare(case_in, agent, customer, state, history):
    case = case_in(state)
    if history == "agent replied":
        comment_add(case=case, author=agent, body="Looking into it.", public=True)
    elif history == "customer waits for an answer":
        comment_add(case=case, author=agent, body="Which card?", public=True)
        comment_add(case=case, author=customer, body="The blue one.", public=True)
    elif history == "escalated":
        case_transition(case=case, name="escalate", actor=agent)
    return Case.objects.get(pk=case.pk)


def _by_services(case, author):
    comment_add(case=case, author=author, body=REPLY, public=True)
    if case.state == State.NEW:
        case_transition(case=case.pk, name="triage", actor=ROBOT, reason=WHY)
    case_transition(case=case.pk, name="resolve", actor=ROBOT, reason=WHY)


def _outcome(case, after_id):
    """What anyone can observe of the case: its fields, new events, clocks and new comments (ids left out)."""
    case = Case.objects.get(pk=case.pk)
    fields = (case.state, case.resolved_at, case.first_responded_at, case.closed_at, case.escalation_level,
              case.assignee_id, case.team_id)
    events = []
    for e in CaseEvent.objects.filter(case=case, id__gt=after_id).order_by("id"):
        data = {k: v for k, v in e.data.items() if k not in ("clock", "comment_id")}
        after = {k: v for k, v in e.after.items() if k != "comment"}
        events.append((e.kind, e.actor_kind, e.actor_id, e.actor_label, e.visibility, e.reason, e.team_id,
                       e.before, after, data))
    clocks = [(c.kind, c.state, c.met_at, c.paused_at, c.paused_seconds, c.next_check_at, c.due_at, c.breached_at,
               c.fired, c.cycle) for c in Clock.objects.filter(case=case).order_by("kind")]
    comments = [(c.author_id, c.body, c.is_public, c.shared, c.created_at)
                for c in Comment.objects.filter(case=case, body=REPLY)]
    return fields, events, clocks, comments


@pytest.fixture
def travel():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_each_case_ends_as_the_single_case_services_leave_it(default_policy, case_in, agent, customer, second_agent,
                                                            travel):
    twins = []
    for state, history in SHAPES:
        twins.append((_prepare(case_in, agent, customer, state, history), _prepare(case_in, agent, customer, state,
                                                                                   history)))
    travel.shift(timedelta(hours=3))
    mark = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    for by_services, _ in twins:
        _by_services(by_services, second_agent)
    done = case_resolve_many(cases=[b.pk for _, b in twins], reply=REPLY, author=second_agent, actor=ROBOT, reason=WHY)
    assert sorted(c.pk for c in done.resolved) == sorted(b.pk for _, b in twins)
    for (a, b), shape in zip(twins, SHAPES, strict=True):
        expected, got = _outcome(a, mark), _outcome(b, mark)
        assert got == expected, shape
        assert got[0][0] == State.RESOLVED
        assert [e[9]["target"] for e in got[1] if e[0] == EventKind.SLA][-1] == "resolution"
    # Each case moved one version, whatever the number of steps.
    assert all(c.version == Case.objects.get(pk=c.pk).version for c in done.resolved)


def test_a_new_case_is_triaged_then_resolved(case_in, agent, second_agent):
    case = case_in("new")
    done = case_resolve_many(cases=[case.pk], reply=REPLY, author=second_agent, actor=ROBOT, reason=WHY)
    moves = [(e.before["state"], e.after["state"], e.data["transition"], e.visibility)
             for e in done.events if e.kind == EventKind.TRANSITION]
    assert moves == [(State.NEW, State.TRIAGED, "triage", Visibility.PUBLIC),
                     (State.TRIAGED, State.RESOLVED, "resolve", Visibility.PUBLIC)]


@pytest.mark.parametrize("state", ["resolved", "closed", "cancelled"])
def test_cases_that_are_not_open_are_left_alone(case_in, second_agent, state):
    case = case_in(state)
    events = CaseEvent.objects.filter(case=case).count()
    done = case_resolve_many(cases=[case.pk], reply=REPLY, author=second_agent, actor=ROBOT, reason=WHY)
    assert [c.pk for c in done.cases] == [case.pk] and done.resolved == [] and done.events == []
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version) == (case.state, case.version)
    assert CaseEvent.objects.filter(case=case).count() == events
    assert not Comment.objects.filter(case=case, body=REPLY).exists()


def test_the_follow_up_event_comes_last_and_everything_is_published_once(case_in, second_agent,
                                                                         django_capture_on_commit_callbacks):
    cases = [case_in("in_progress"), case_in("new")]
    note = {"kind": EventKind.PROBLEM, "actor": Actor.of(second_agent), "data": {"type": "fixed"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = case_resolve_many(cases=[c.pk for c in cases], reply=REPLY, author=second_agent, actor=ROBOT,
                                 reason=WHY, follow_up=note)
    assert len(callbacks) == 1
    for case in cases:
        kinds = list(CaseEvent.objects.filter(case=case, id__gte=done.events[0].pk).values_list("kind", flat=True))
        assert kinds[0] == EventKind.COMMENT and kinds[-1] == EventKind.PROBLEM
    assert len(done.events) == 7  # reply, resolve and note each; the new case's triage too
