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


def test_department_board(signed_in, finance_member, finance_team, agent):
    client = signed_in(finance_member)
    assert client.get(f"/desk/boards/department/{finance_team.slug}/").status_code == 200
    data = client.get(f"/desk/boards/department/{finance_team.slug}/data/").json()
    assert data["department"]["slug"] == finance_team.slug
    assert signed_in(agent).get(f"/desk/boards/department/{finance_team.slug}/").status_code == 404


def test_a_support_team_has_no_department_board(signed_in, admin_user, support_team):
    assert signed_in(admin_user).get(f"/desk/boards/department/{support_team.slug}/").status_code == 404


def test_snapshots_use_the_sla_selectors_when_installed(signed_in, manager, support_team, customer, monkeypatch):
    """Until the SLA app lands the board names what is missing; once it does, its figures show."""
    import sys
    import types
    from datetime import timedelta

    from helpdesk import clock

    case = case_create(requester=customer, subject="Due soon", team=support_team, actor=customer)
    due = clock.now() + timedelta(minutes=20)
    reports = types.ModuleType("sla.selectors.reports")
    reports.at_risk = lambda *, teams, now, limit=50: [{"case_id": case.pk, "reference": case.reference,
                                                         "target": "resolution", "due": due}]
    reports.compliance = lambda *, teams, since, until: [{"team": "Support L1", "priority": "P3", "compliance_pct": 97.5}]
    monkeypatch.setitem(sys.modules, "sla.selectors.reports", reports)
    client = signed_in(manager)
    team_data = client.get(f"/desk/boards/team/{support_team.slug}/data/").json()
    assert team_data["cases"][0]["sla_due"] == due.isoformat()
    sla_data = client.get("/desk/boards/sla/data/").json()
    assert sla_data["compliance"]["today"][0]["compliance_pct"] == 97.5
    assert sla_data["at_risk"][0]["reference"] == case.reference
    assert "sla.selectors.reports.at_risk" not in sla_data["missing"]


def test_inactive_team_board_is_404(signed_in, agent):
    team = TeamFactory(slug="old", kind=TeamKind.SUPPORT, is_active=False)
    assert signed_in(agent).get(f"/desk/boards/team/{team.slug}/").status_code == 404
