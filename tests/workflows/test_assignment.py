from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from helpdesk import clock
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, MembershipFactory, TeamFactory
from tests.workflows.factories import AbsenceFactory, SkillFactory
from tests.workflows.races import create_at_once
from tickets.models import CaseEvent, EventKind, State
from tickets.services.cases import case_create
from workflows.models import SkillKind, Strategy
from workflows.services.absences import absences_detour_due, detour_for
from workflows.services.assignment import assignee_pick, assignment_choose


def team_with(strategy, *names, capacity=10):
    team = TeamFactory(assignment_strategy=strategy, default_capacity=capacity, assign_on_arrival=True)
    people = [AgentFactory(username=n) for n in names]
    for p in people:
        MembershipFactory(team=team, user=p)
    return team, people


@pytest.mark.django_db
def test_manual_strategy_leaves_the_case_in_the_queue(customer):
    team, _ = team_with(Strategy.MANUAL, "ann")
    assert assignee_pick(team=team) is None
    assert "by hand" in assignment_choose(team=team).reason


@pytest.mark.django_db
def test_round_robin_takes_turns(customer):
    team, (ann, ben, cat) = team_with(Strategy.ROUND_ROBIN, "ann", "ben", "cat")
    picked = [case_create(requester=customer, subject=f"c{i}", team=team).assignee for i in range(4)]
    assert picked == [ann, ben, cat, ann]


@pytest.mark.django_db
def test_least_loaded_respects_capacity(customer):
    team, (ann, ben) = team_with(Strategy.LEAST_LOADED, "ann", "ben", capacity=1)
    first = case_create(requester=customer, subject="one", team=team)
    second = case_create(requester=customer, subject="two", team=team)
    third = case_create(requester=customer, subject="three", team=team)
    assert {first.assignee, second.assignee} == {ann, ben}
    assert third.assignee is None and third.state == State.NEW
    considered = assignment_choose(team=team).considered
    assert {row["skipped"] for row in considered} == {"full"}


@pytest.mark.django_db
def test_managers_and_inactive_people_get_no_cases_and_own_capacity_wins(customer):
    from workflows.models import MembershipRole

    team, (ann, ben) = team_with(Strategy.LEAST_LOADED, "ann", "ben", capacity=5)
    boss, gone = AgentFactory(username="boss"), AgentFactory(username="gone", is_active=False)
    MembershipFactory(team=team, user=boss, role=MembershipRole.MANAGER)
    MembershipFactory(team=team, user=gone)
    ann.memberships.filter(team=team).update(capacity=1)
    first = case_create(requester=customer, subject="one", team=team)
    assert first.assignee == ann  # both idle: the earlier member
    choice = assignment_choose(team=team)
    assert {r["name"]: (r["open"], r["capacity"], r.get("skipped")) for r in choice.considered} == {
        str(ann): (1, 1, "full"), str(ben): (0, 5, None)}
    assert choice.user == ben


@pytest.mark.django_db
def test_skill_based_prefers_the_matching_skill(customer):
    team, (ann, ben) = team_with(Strategy.SKILL_BASED, "ann", "ben")
    refunds = CategoryFactory(slug="refunds")
    ben.memberships.get(team=team).skills.add(SkillFactory(kind=SkillKind.CATEGORY, code="refunds"))
    case = case_create(requester=customer, subject="Refund", team=team, category=refunds)
    assert case.assignee == ben
    event = CaseEvent.objects.get(case=case, kind=EventKind.ROUTING)
    assert "refunds" in event.data["assignment"]["why"]


@pytest.mark.django_db
def test_every_strategy_skips_the_absent(customer):
    for strategy in (Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN, Strategy.SKILL_BASED):
        team, (ann, ben) = team_with(strategy, f"ann-{strategy}", f"ben-{strategy}")
        AbsenceFactory(user=ann)
        choice = assignment_choose(team=team)
        assert choice.user == ben
        assert {r["name"]: r.get("skipped") for r in choice.considered} == {str(ann): "away", str(ben): None}


@pytest.mark.django_db
def test_nobody_gets_a_case_while_the_team_is_off_shift(customer):
    from sla.models import Shift

    team, (ann, ben) = team_with(Strategy.LEAST_LOADED, "ann", "ben")
    team.time_zone = "Europe/Paris"
    team.save()
    Shift.objects.create(team=team, weekday=0, start=dtime(9), end=dtime(17))  # Mondays, 9 to 5 in Paris
    monday_night = datetime(2026, 11, 23, 22, 30, tzinfo=ZoneInfo("Europe/Paris"))
    with time_machine.travel(monday_night, tick=False):
        choice = assignment_choose(team=team)
        case = case_create(requester=customer, subject="At night", team=team)
    assert choice.user is None and "Nobody in" in choice.reason
    assert {r.get("skipped") for r in choice.considered} == {"off shift"}
    assert case.assignee is None and case.team == team
    with time_machine.travel(monday_night.replace(hour=10), tick=False):
        assert assignment_choose(team=team).user in (ann, ben)


@pytest.mark.django_db
def test_detour_follows_delegates_and_stops_at_loops():
    ann, ben, cat = AgentFactory(), AgentFactory(), AgentFactory()
    AbsenceFactory(user=ann, delegate=ben)
    assert detour_for(user=ann) == ben and detour_for(user=ben) is None
    AbsenceFactory(user=ben, delegate=cat)
    assert detour_for(user=ann) == cat
    AbsenceFactory(user=cat, delegate=ann)
    assert detour_for(user=ann) is None


@pytest.mark.django_db
def test_absence_start_hands_open_cases_to_the_delegate_or_the_team_once(customer):
    team, (ann, ben, cat) = team_with(Strategy.LEAST_LOADED, "ann", "ben", "cat")
    other_team, (dan,) = team_with(Strategy.LEAST_LOADED, "dan")
    MembershipFactory(team=other_team, user=ann)
    now = clock.now()
    with time_machine.travel(now, tick=False):
        mine = [case_create(requester=customer, subject=f"c{i}", team=team) for i in range(3)]
        elsewhere = case_create(requester=customer, subject="other", team=other_team)
    from tickets.services.cases import case_assign

    for c in mine:
        case_assign(case=c, assignee=ann, actor=ann)
    case_assign(case=elsewhere, assignee=ann, actor=ann)
    AbsenceFactory(user=ann, delegate=ben, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(days=2))
    with time_machine.travel(now + timedelta(minutes=30), tick=False):
        assert absences_detour_due() == 0  # not started yet
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        assert absences_detour_due() == 1
        assert absences_detour_due() == 0  # idempotent
    for c in mine:
        c.refresh_from_db()
        assert c.assignee == ben
    elsewhere.refresh_from_db()
    assert elsewhere.assignee == dan  # ben is not in that team: back to the team by its strategy
    handovers = CaseEvent.objects.filter(kind=EventKind.HANDOVER)
    assert handovers.count() == 4 and all("away" in e.reason for e in handovers)
    with time_machine.travel(now + timedelta(days=3), tick=False):
        absences_detour_due()
        assert assignee_pick(team=other_team) in (ann, dan)
    for c in mine:
        c.refresh_from_db()
        assert c.assignee == ben  # nothing moves back when the absence ends


@pytest.mark.django_db(transaction=True)
def test_two_cases_created_at_once_never_both_take_the_last_slot(needs_postgres):
    team, (ann,) = team_with(Strategy.LEAST_LOADED, "ann", capacity=1)
    requester = CustomerFactory()
    errors = create_at_once(requester, ["race 0", "race 1"], team=team)
    assert errors == []
    from tickets.models import Case

    assert Case.objects.filter(team=team, assignee=ann).count() == 1
    assert Case.objects.filter(team=team, assignee__isnull=True).count() == 1
