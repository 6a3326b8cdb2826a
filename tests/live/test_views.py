"""Board pages and the JSON they load: the same access rules as the sockets."""

from __future__ import annotations

import pytest

from tests.factories import TeamFactory
from tickets.services.cases import case_create
from workflows.models import TeamKind


@pytest.fixture
def signed_in(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_team_board_page_and_data(signed_in, agent, support_team, customer):
    case = case_create(requester=customer, subject="Cannot log in", team=support_team, actor=customer)
    client = signed_in(agent)
    page = client.get(f"/desk/boards/team/{support_team.slug}/")
    assert page.status_code == 200
    assert b'data-board="team"' in page.content and b"live/live.js" in page.content
    data = client.get(f"/desk/boards/team/{support_team.slug}/data/").json()
    assert [c["reference"] for c in data["cases"]] == [case.reference]
    assert data["last_event_id"] >= case.events.last().pk
    assert [s["value"] for s in data["states"]][0] == "new"


def test_team_board_of_another_team_is_404(signed_in, l2_agent, support_team, customer):
    client = signed_in(l2_agent)
    assert client.get(f"/desk/boards/team/{support_team.slug}/").status_code == 404
    assert client.get(f"/desk/boards/team/{support_team.slug}/data/").status_code == 404
    assert signed_in(customer).get(f"/desk/boards/team/{support_team.slug}/").status_code == 404


def test_board_pages_need_sign_in(client, support_team):
    response = client.get(f"/desk/boards/team/{support_team.slug}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wallboard_mode(signed_in, manager):
    page = signed_in(manager).get("/desk/boards/sla/?wallboard=1")
    assert page.status_code == 200
    assert b"live-board wallboard" in page.content and b"Wallboard mode</a>" not in page.content
    assert b"vendor/chart-4.6.1.umd.min.js" in page.content


def test_sla_board_is_for_managers(signed_in, manager, agent, support_team, l2_team):
    data = signed_in(manager).get("/desk/boards/sla/data/").json()
    assert {t["slug"] for t in data["teams"]} == {support_team.slug, l2_team.slug}
    assert data["breaches"] == []
    assert signed_in(agent).get("/desk/boards/sla/").status_code == 404


def test_sla_board_lists_todays_breaches_from_the_event_log(signed_in, manager, support_team, customer):
    from helpdesk.eventlog import Actor
    from tickets.services.events import case_event_record

    case = case_create(requester=customer, subject="Slow", team=support_team, actor=customer)
    case_event_record(case=case, kind="sla", actor=Actor.sla("resolution"),
                      data={"type": "breach", "target": "resolution", "late": True})
    data = signed_in(manager).get("/desk/boards/sla/data/").json()
    assert [b["case_reference"] for b in data["breaches"]] == [case.reference]


def test_department_board(signed_in, finance_member, finance_team, agent, support_team, customer):
    from workflows.services.tasks import task_create

    case = case_create(requester=customer, subject="Refund twice", team=support_team, actor=customer)
    task_create(case=case, department=finance_team, title="Check the double refund", actor=agent)
    client = signed_in(finance_member)
    assert client.get(f"/desk/boards/department/{finance_team.slug}/").status_code == 200
    data = client.get(f"/desk/boards/department/{finance_team.slug}/data/").json()
    assert data["department"]["slug"] == finance_team.slug and data["missing"] == []
    [column] = data["board"]["columns"]
    assert [(t["title"], t["case"]) for t in column["tasks"]] == [("Check the double refund", case.reference)]
    assert signed_in(agent).get(f"/desk/boards/department/{finance_team.slug}/").status_code == 404


def test_a_support_team_has_no_department_board(signed_in, admin_user, support_team):
    assert signed_in(admin_user).get(f"/desk/boards/department/{support_team.slug}/").status_code == 404


def test_boards_show_the_sla_engine_figures(signed_in, manager, support_team, customer):
    """Due times on the team board; compliance, at-risk and breaches on the SLA board."""
    from datetime import timedelta

    import time_machine

    from helpdesk import clock
    from sla.models import TargetKind
    from sla.services.policies import calendar_define, policy_define
    from sla.services.sweeps import clocks_sweep

    calendar = calendar_define(name="24x7", always=True)
    policy_define(name="Standard", is_default=True, targets=[("P3", TargetKind.FIRST_RESPONSE, 60, calendar)])
    with time_machine.travel(clock.now() - timedelta(hours=2)):
        late = case_create(requester=customer, subject="Nobody answered", team=support_team, actor=customer)
    fresh = case_create(requester=customer, subject="Just in", team=support_team, actor=customer)
    clocks_sweep()
    client = signed_in(manager)
    cards = {c["reference"]: c for c in client.get(f"/desk/boards/team/{support_team.slug}/data/").json()["cases"]}
    assert cards[fresh.reference]["sla_due"] == fresh.sla_clocks.get().due_at.isoformat()
    assert cards[late.reference]["sla_due"] is None  # its only clock has breached: nothing left to count down
    data = client.get("/desk/boards/sla/data/").json()
    assert data["missing"] == []
    assert [(r["team"], r["priority"], r["breached"], r["compliance_pct"]) for r in data["compliance"]["today"]] == [
        ("Support L1", "P3", 1, 0.0)]
    assert [r["case"] for r in data["at_risk"]] == [fresh.reference]
    assert [b["case_reference"] for b in data["breaches"]] == [late.reference]
    assert {t["slug"]: t["on_shift"] for t in data["teams"]}[support_team.slug] == [manager.get_full_name()]


def test_inactive_team_board_is_404(signed_in, agent):
    team = TeamFactory(slug="old", kind=TeamKind.SUPPORT, is_active=False)
    assert signed_in(agent).get(f"/desk/boards/team/{team.slug}/").status_code == 404
