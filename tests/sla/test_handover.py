"""Follow-the-sun across Manila, Dublin and Chicago, over the European DST weekend, and coverage."""

from datetime import UTC, datetime, time
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from sla.models import ChainLink, FollowTheSunChain, HandoverRun, Shift
from sla.selectors.coverage import coverage_report
from sla.selectors.shifts import next_handover, off_shift_user_ids, on_shift_now
from sla.services.handover import handovers_run
from sla.services.policies import policy_define
from tests.factories import AgentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.sla.conftest import picking_team, targets
from tickets.models import CaseEvent, Role
from tickets.services.cases import case_assign, case_create, comment_add


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def team_with_shift(name, tz, days=range(5), start=time(9), end=time(17)):
    team = picking_team(TeamFactory(name=name, slug=name.lower(), time_zone=tz))
    agent = AgentFactory(username=f"{name.lower()}-agent")
    MembershipFactory(team=team, user=agent)
    Shift.objects.bulk_create([Shift(team=team, weekday=d, start=start, end=end) for d in days])
    return team, agent


@pytest.fixture
def sun(db, always_calendar):
    manila, manila_agent = team_with_shift("Manila", "Asia/Manila")
    dublin, dublin_agent = team_with_shift("Dublin", "Europe/Dublin")
    chicago, chicago_agent = team_with_shift("Chicago", "America/Chicago")
    chain = FollowTheSunChain.objects.create(name="Global")
    for i, team in enumerate([manila, dublin, chicago]):
        ChainLink.objects.create(chain=chain, team=team, position=i)
    policy_define(name="Enterprise 24x7", is_default=True, chain=chain,
                  targets=targets(always_calendar, priorities=["P1", "P2"]))
    return {"manila": (manila, manila_agent), "dublin": (dublin, dublin_agent),
            "chicago": (chicago, chicago_agent), "chain": chain}


def test_shift_end_hands_round_the_clock_cases_to_the_team_on_duty(sun, customer):
    dublin, dublin_agent = sun["dublin"]
    chicago, chicago_agent = sun["chicago"]
    with time_machine.travel(utc(2026, 3, 27, 12), tick=False) as t:  # Friday before the EU clock change
        urgent = case_create(requester=customer, subject="Payments down", priority="P1", team=dublin)
        case_assign(case=urgent, assignee=dublin_agent, actor=dublin_agent)
        comment_add(case=urgent, author=dublin_agent, body="Rolled back the deploy; watch the queue.", public=False)
        routine = case_create(requester=customer, subject="Invoice copy", priority="P4", team=dublin)
        case_assign(case=routine, assignee=dublin_agent, actor=dublin_agent)
        t.move_to(utc(2026, 3, 27, 17, 0, 30))  # 17:00 GMT: Dublin goes home; Chicago (CDT) is on
        runs = handovers_run()
        assert [(r.team, r.to_team, r.handed_over) for r in runs] == [(dublin, chicago, 1)]
        urgent.refresh_from_db()
        routine.refresh_from_db()
        assert (urgent.team, urgent.assignee) == (chicago, chicago_agent)
        assert (routine.team, routine.assignee) == (dublin, dublin_agent)
        event = CaseEvent.objects.get(case=urgent, kind="handover")
        assert event.data["last_internal_note"]["body"].startswith("Rolled back")
        assert event.visibility != "public" and event.actor_kind == "schedule"
        assert handovers_run() == []  # the beat ran again: nothing more
        assert HandoverRun.objects.count() == 1


def test_after_the_dst_weekend_dublin_hands_over_an_hour_earlier_in_utc(sun, customer):
    manila, manila_agent = sun["manila"]
    dublin, dublin_agent = sun["dublin"]
    monday = utc(2026, 3, 30, 7)  # Irish Summer Time since Sunday
    assert next_handover(team=dublin, at=monday) == utc(2026, 3, 30, 16)
    assert next_handover(team=dublin, at=utc(2026, 3, 23, 7)) == utc(2026, 3, 23, 17)
    with time_machine.travel(monday, tick=False) as t:
        case = case_create(requester=customer, subject="Sync stuck", priority="P2", team=manila)
        case_assign(case=case, assignee=manila_agent, actor=manila_agent)
        t.move_to(utc(2026, 3, 30, 9, 1))  # 17:01 in Manila
        handovers_run()
        case.refresh_from_db()
        assert (case.team, case.assignee) == (dublin, dublin_agent)


def test_nobody_on_duty_leaves_the_case_and_records_the_run(sun, customer):
    chicago, chicago_agent = sun["chicago"]
    with time_machine.travel(utc(2026, 3, 27, 20), tick=False) as t:
        case = case_create(requester=customer, subject="Friday night", priority="P1", team=chicago)
        case_assign(case=case, assignee=chicago_agent, actor=chicago_agent)
        t.move_to(utc(2026, 3, 27, 22, 5))  # 17:05 CDT on Friday: Manila and Dublin are off for the weekend
        runs = handovers_run()
        assert [(r.team, r.to_team) for r in runs] == [(chicago, None)]
        case.refresh_from_db()
        assert case.team == chicago


def test_off_shift_agents_are_reported_to_assignment(sun):
    dublin, dublin_agent = sun["dublin"]
    assert off_shift_user_ids(team=dublin, at=utc(2026, 3, 28, 12)) == {dublin_agent.pk}  # Saturday
    assert off_shift_user_ids(team=dublin, at=utc(2026, 3, 30, 12)) == set()
    assert on_shift_now(team=dublin, at=utc(2026, 3, 30, 12)) == [dublin_agent]
    no_shifts = TeamFactory()
    assert off_shift_user_ids(team=no_shifts, at=utc(2026, 3, 28, 12)) == set()
    assert next_handover(team=no_shifts, at=utc(2026, 3, 28, 12)) is None


def test_coverage_reports_the_gaps_of_a_weekday_chain(sun):
    report = coverage_report(at=utc(2026, 1, 14))  # a winter week: no DST anywhere
    (row,) = report
    assert row["chain"] == "Global" and row["warnings"]
    starts = {(g["start"], g["end"]) for g in row["gaps"]}
    # Chicago ends 23:00 UTC, Manila starts 01:00 UTC: two hours uncovered every weeknight.
    assert (utc(2026, 1, 13, 23), utc(2026, 1, 14, 1)) in starts
    assert utc(2026, 1, 17, 12) in row["uncovered_hours"]  # Saturday


def test_coverage_of_a_full_chain_has_no_gap_and_a_policy_without_chain_warns(db, always_calendar):
    a, _ = team_with_shift("Apac", "UTC", days=range(7), start=time(0), end=time(8))
    b, _ = team_with_shift("Emea", "UTC", days=range(7), start=time(8), end=time(16))
    c, _ = team_with_shift("Amer", "UTC", days=range(7), start=time(16), end=time(0))
    chain = FollowTheSunChain.objects.create(name="Round")
    for i, team in enumerate([a, b, c]):
        ChainLink.objects.create(chain=chain, team=team, position=i)
    policy_define(name="Covered", chain=chain, targets=targets(always_calendar, priorities=["P1"]))
    policy_define(name="Orphan", priorities=["P2"], targets=targets(always_calendar, priorities=["P2"]))
    rows = {r["policy"]: r for r in coverage_report(at=utc(2026, 1, 14))}
    assert rows["Covered"]["gaps"] == [] and rows["Covered"]["warnings"] == []
    assert "no follow-the-sun chain" in rows["Orphan"]["warnings"][0]
    out = StringIO()
    call_command("sla_coverage", stdout=out)
    assert "Covered" in out.getvalue() and "covered around the clock" in out.getvalue()
    assert "WARNING" in out.getvalue()


def test_coverage_page_is_for_managers(sun, client, agent):
    manager = UserFactory(username="mgr", role=Role.MANAGER)
    client.force_login(agent)
    assert client.get("/sla/coverage/").status_code == 404
    client.force_login(manager)
    response = client.get("/sla/coverage/")
    assert response.status_code == 200
    assert b"Enterprise 24x7" in response.content and b"Nobody on duty" in response.content


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_hand_over_once(needs_postgres, customer, always_calendar):
    import threading

    from django.db import connection

    dublin, dublin_agent = team_with_shift("Dublin", "Europe/Dublin")
    chicago, _ = team_with_shift("Chicago", "America/Chicago")
    chain = FollowTheSunChain.objects.create(name="Atlantic")
    ChainLink.objects.create(chain=chain, team=dublin, position=0)
    ChainLink.objects.create(chain=chain, team=chicago, position=1)
    policy_define(name="24x7", is_default=True, chain=chain, targets=targets(always_calendar, priorities=["P1"]))
    with time_machine.travel(utc(2026, 3, 27, 12), tick=False):
        case = case_create(requester=customer, subject="Twice?", priority="P1", team=dublin)
        case_assign(case=case, assignee=dublin_agent, actor=dublin_agent)
    barrier, errors = threading.Barrier(2), []

    def beat():
        try:
            barrier.wait()
            handovers_run(now=utc(2026, 3, 27, 17, 0, 30))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert CaseEvent.objects.filter(case=case, kind="handover").count() == 1
    assert HandoverRun.objects.filter(team=dublin).count() == 1
