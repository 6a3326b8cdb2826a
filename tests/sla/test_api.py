"""SLA over the API: a case's clocks, compliance, at-risk, breaches, coverage and shifts."""

from datetime import UTC, datetime, timedelta

import time_machine

from sla.services.sweeps import clocks_sweep
from tests.factories import UserFactory
from tickets.models import Role
from tickets.services.cases import case_assign, case_create, comment_add

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_case_clocks_show_remaining_business_time(api, default_policy, customer, agent, support_team):
    with time_machine.travel(T0, tick=False) as t:
        case = case_create(requester=customer, subject="Clocks", team=support_team)
        t.move_to(T0 + timedelta(minutes=15))
        body = api(agent).get(f"/api/v1/sla/cases/{case.reference}/clocks/").json()
    assert [(c["target"], c["state"], c["remaining_seconds"]) for c in body] == [
        ("first_response", "running", 45 * 60), ("resolution", "running", 465 * 60)]
    assert body[0]["used_percent"] == 25.0


def test_case_clocks_are_hidden_from_customers_and_strangers(api, default_policy, customer, other_customer):
    case = case_create(requester=customer, subject="Mine")
    assert api(other_customer).get(f"/api/v1/sla/cases/{case.reference}/clocks/").status_code == 404
    assert api(customer).get(f"/api/v1/sla/cases/{case.reference}/clocks/").status_code == 404
    assert api().get(f"/api/v1/sla/cases/{case.reference}/clocks/").status_code in (401, 403)


def test_compliance_at_risk_and_breaches(api, default_policy, customer, agent, manager, support_team):
    with time_machine.travel(T0, tick=False) as t:
        met = case_create(requester=customer, subject="Answered", team=support_team)
        case_assign(case=met, assignee=agent, actor=agent)
        comment_add(case=met, author=agent, body="Hi", public=True)
        late = case_create(requester=customer, subject="Forgotten", team=support_team)
        t.move_to(T0 + timedelta(hours=1, minutes=1))
        clocks_sweep()
        client = api(manager)
        rows = client.get("/api/v1/sla/compliance/", {
            "since": (T0 - timedelta(days=1)).isoformat(), "until": (T0 + timedelta(days=1)).isoformat(),
            "group_by": ["team", "target"]}).json()
        assert rows == [{"team": support_team.pk, "team_name": support_team.name, "target": "first_response",
                         "met": 1, "breached": 1, "compliance": 0.5}]
        risk = client.get("/api/v1/sla/at-risk/").json()
        assert [r["case"] for r in risk] == [met.reference, late.reference]  # resolution clocks, soonest first
        breaches = client.get("/api/v1/sla/breaches/").json()
        assert [(b["case"], b["target"]) for b in breaches] == [(late.reference, "first_response")]
        assert client.get("/api/v1/sla/breaches/", {"after_id": breaches[0]["event"]}).json() == []


def test_reports_are_scoped(api, default_policy, agent, customer, l2_team):
    assert api(customer).get("/api/v1/sla/at-risk/").status_code == 404
    assert api(agent).get("/api/v1/sla/at-risk/", {"team": l2_team.pk}).status_code == 404
    assert api(agent).get("/api/v1/sla/coverage/").status_code == 404
    bad = api(agent).get("/api/v1/sla/compliance/", {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["fields"]


def test_coverage_and_shifts_for_managers(api, default_policy, support_team):
    manager = UserFactory(username="boss", role=Role.MANAGER)
    assert api(manager).get("/api/v1/sla/coverage/").status_code == 200
    shifts = api(manager).get("/api/v1/sla/shifts/").json()
    assert {"team": support_team.name, "on_duty": True} .items() <= next(
        s for s in shifts if s["team"] == support_team.name).items()


def test_case_page_include_renders_the_clocks(default_policy, customer, rf):
    from django.template.loader import render_to_string

    with time_machine.travel(T0, tick=False):
        case = case_create(requester=customer, subject="Page")
        html = render_to_string("sla/_case_clocks.html", {"case": case})
    assert "First response" in html and "1h 00m left" in html
