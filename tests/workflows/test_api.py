from datetime import timedelta

import pytest

from helpdesk import clock
from tests.factories import AgentFactory, CategoryFactory, MembershipFactory
from tickets.models import Case
from tickets.services.cases import case_create
from workflows.models import Notification, RoutingRule, Strategy
from workflows.services.notifications import notify

pytestmark = pytest.mark.django_db


def test_managers_configure_rules_and_bad_ones_get_field_messages(api, manager, agent, support_team):
    client = api(manager)
    bad = client.post("/api/v1/routing-rules/", {"name": "Bad", "conditions": [{"field": "subject", "op": "regex", "value": "("}],
                                                 "actions": {"team": "ghost"}}, format="json")
    assert bad.status_code == 400
    assert "invalid regular expression" in bad.json()["fields"]["conditions"][0]
    assert "'ghost' does not exist" in bad.json()["fields"]["actions"][0]
    good = client.post("/api/v1/routing-rules/", {"name": "Refunds", "position": 5, "actions": {"team": "support-l1"},
                                                  "conditions": [{"field": "subject", "op": "contains", "value": "refund"}]},
                       format="json")
    assert good.status_code == 201
    assert api(agent).post("/api/v1/routing-rules/", {"name": "x"}, format="json").status_code == 403
    assert api(agent).get("/api/v1/routing-rules/").status_code == 200
    default = RoutingRule.objects.get(is_default=True)
    assert client.delete(f"/api/v1/routing-rules/{default.pk}/").status_code == 409


def test_dry_run_answers_where_and_why_without_writing(api, agent, support_team, second_agent):
    support_team.assignment_strategy = Strategy.LEAST_LOADED
    support_team.assign_on_arrival = True
    support_team.save()
    CategoryFactory(slug="billing")
    api_client = api(agent)
    from workflows.services.rules import routing_rule_save

    routing_rule_save(name="Billing to L1", conditions=[{"field": "category", "op": "eq", "value": "billing"}],
                      actions={"team": "support-l1", "priority": "P2"})
    before = Case.objects.count()
    response = api_client.post("/api/v1/routing/dry-run/", {"subject": "Invoice wrong", "category": "billing"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["rule"] == "Billing to L1" and body["team_name"] == "Support L1" and body["priority"] == "P2"
    assert body["conditions"][0]["held"] is True and body["assignment"]["chosen"] in (agent.pk, second_agent.pk)
    assert Case.objects.count() == before


def test_case_routing_explanation(api, agent, customer, support_team):
    from workflows.services.rules import routing_rule_save

    routing_rule_save(name="Everything to L1", conditions=[], actions={"team": "support-l1"})
    case = case_create(requester=customer, subject="Help")
    body = api(agent).get(f"/api/v1/cases/{case.reference}/routing/").json()
    assert body["decision"]["rule"] == "Everything to L1" and "matched" in body["decision"]["summary"]
    assert api(customer).get(f"/api/v1/cases/{case.reference}/routing/").status_code == 404


def test_notifications_unread_list_and_mark_read(api, agent):
    for title in ("One", "Two", "Three"):
        notify(recipients=[agent], kind="assigned", title=title, email=False)
    client = api(agent)
    unread = client.get("/api/v1/notifications/?unread=1").json()["results"]
    assert [n["title"] for n in unread] == ["Three", "Two", "One"]
    response = client.post("/api/v1/notifications/mark-read/", {"ids": [unread[0]["id"]]}, format="json")
    assert response.json() == {"marked": 1, "unread": 2}
    assert client.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked": 2, "unread": 0}
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_preferences_round_trip(api, agent):
    client = api(agent)
    assert all(p["email"] for p in client.get("/api/v1/notification-preferences/").json())
    body = client.put("/api/v1/notification-preferences/", {"kind": "assigned", "in_app": True, "email": False}, format="json").json()
    assert next(p for p in body if p["kind"] == "assigned")["email"] is False
    assert client.put("/api/v1/notification-preferences/", {"kind": "nope", "in_app": True, "email": True},
                      format="json").status_code == 400


def test_absences_for_self_and_by_managers(api, agent, second_agent, manager):
    start, end = clock.now() + timedelta(days=1), clock.now() + timedelta(days=5)
    mine = api(agent).post("/api/v1/absences/", {"starts_at": start, "ends_at": end, "delegate": second_agent.pk}, format="json")
    assert mine.status_code == 201 and mine.json()["user"] == agent.pk
    other = api(agent).post("/api/v1/absences/", {"user": second_agent.pk, "starts_at": start, "ends_at": end}, format="json")
    assert other.status_code == 404
    by_manager = api(manager).post("/api/v1/absences/", {"user": second_agent.pk, "starts_at": start, "ends_at": end}, format="json")
    assert by_manager.status_code == 201
    backwards = api(agent).post("/api/v1/absences/", {"starts_at": end, "ends_at": start}, format="json")
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["fields"]


def test_teams_memberships_and_escalation_paths(api, manager, support_team, l2_team):
    client = api(manager)
    person = AgentFactory()
    response = client.patch(f"/api/v1/routing/teams/{support_team.pk}/", {"assignment_strategy": "round_robin", "time_zone": "Mars/Base"},
                            format="json")
    assert response.status_code == 400 and "time_zone" in response.json()["fields"]
    assert client.patch(f"/api/v1/routing/teams/{support_team.pk}/", {"assignment_strategy": "round_robin"},
                        format="json").json()["assignment_strategy"] == "round_robin"
    member = client.post("/api/v1/memberships/", {"team": support_team.pk, "user": person.pk, "capacity": 3}, format="json")
    assert member.status_code == 201 and member.json()["capacity"] == 3
    path = client.post("/api/v1/escalation-paths/", {"team": support_team.pk, "tiers": [l2_team.pk], "manager": manager.pk},
                       format="json")
    assert path.status_code == 201 and path.json()["tiers"] == [{"level": 1, "team": l2_team.pk, "team_name": "Support L2"}]


def test_webhook_endpoints_are_managers_only_and_hide_the_secret(api, manager, agent):
    created = api(manager).post("/api/v1/webhooks/", {"name": "ops", "url": "http://127.0.0.1:8131/", "secret": "k"},
                                format="json")
    assert created.status_code == 201 and "secret" not in created.json()
    assert api(agent).get("/api/v1/webhooks/").json() == []
    assert api(manager).get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json() == []
