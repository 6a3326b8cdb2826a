"""The case API as an integrator uses it: list, filter, page, read, create, act, follow the log."""

from datetime import timedelta

import pytest
import time_machine

from tests.factories import CategoryFactory, ProductFactory
from tickets.models import Case, CaseEvent, State
from tickets.services.cases import case_assign, case_create, case_transition, case_update, comment_add

pytestmark = pytest.mark.django_db


def _refs(response):
    assert response.status_code == 200, response.content
    return [c["reference"] for c in response.json()["results"]]


@pytest.fixture
def queue(customer, other_customer, agent, support_team, organization):
    """Five cases of the support team made on five different days."""
    cards, refunds = ProductFactory(name="Cards"), CategoryFactory(name="Refunds")
    made = []
    with time_machine.travel("2026-02-01 10:00Z", tick=False) as traveller:
        for i, kwargs in enumerate([
            {"subject": "Card declined", "priority": "P1", "product": cards, "tags": ["vip"]},
            {"subject": "Refund missing", "category": refunds, "tags": ["vip", "refund"]},
            {"subject": "Login fails", "description": "password reset mail never arrives"},
            {"subject": "Invoice address", "requester": other_customer},
            {"subject": "App crashes", "priority": "P2"},
        ]):
            kwargs.setdefault("requester", customer)
            made.append(case_create(team=support_team, **kwargs))
            traveller.shift(timedelta(days=1))
        case_assign(case=made[0], assignee=agent, actor=agent)
        case_transition(case=made[0], name="start", actor=agent)
        case_transition(case=made[4], name="triage", actor=agent)
    return made


def test_filters(api, agent, queue, support_team, organization):
    client = api(agent)
    ref = [c.reference for c in queue]
    cards, refunds = queue[0].product, queue[1].category
    checks = [
        ({"state": "in_progress"}, [ref[0]]),
        ({"state": ["new", "triaged"]}, [ref[4], ref[3], ref[2], ref[1]]),
        ({"priority": "P1"}, [ref[0]]),
        ({"priority": ["P1", "P2"]}, [ref[4], ref[0]]),
        ({"team": support_team.pk}, ref[::-1]),
        ({"assignee": agent.pk}, [ref[0]]),
        ({"unassigned": "true"}, [ref[4], ref[3], ref[2], ref[1]]),
        ({"category": refunds.pk}, [ref[1]]),
        ({"product": cards.pk}, [ref[0]]),
        ({"organization": organization.pk}, [ref[4], ref[2], ref[1], ref[0]]),
        ({"tags": "vip"}, [ref[1], ref[0]]),
        ({"tags": "vip,REFUND"}, [ref[1]]),
        ({"created_after": "2026-02-03T00:00:00Z"}, [ref[4], ref[3], ref[2]]),
        ({"created_before": "2026-02-02T00:00:00Z"}, [ref[0]]),
        ({"created_after": "2026-02-02T00:00:00Z", "created_before": "2026-02-04T00:00:00Z"}, [ref[2], ref[1]]),
        ({"updated_after": "2026-02-05T00:00:00Z"}, [ref[4], ref[0]]),
        ({"q": "password"}, [ref[2]]),
        ({"q": ref[3]}, [ref[3]]),
        ({"q": "declined", "priority": "P1"}, [ref[0]]),
    ]
    for params, expected in checks:
        assert _refs(client.get("/api/v1/cases/", params)) == expected, params


def test_ordering(api, agent, queue):
    client = api(agent)
    ref = [c.reference for c in queue]
    assert _refs(client.get("/api/v1/cases/")) == ref[::-1]
    assert _refs(client.get("/api/v1/cases/", {"ordering": "id"})) == ref
    assert set(_refs(client.get("/api/v1/cases/", {"ordering": "-updated_at"}))[:2]) == {ref[4], ref[0]}
    assert _refs(client.get("/api/v1/cases/", {"ordering": "priority"}))[:2] == [ref[0], ref[4]]


def test_cursor_pagination_walks_every_case_once(api, agent, queue, customer, support_team):
    client = api(agent)
    seen, url = [], "/api/v1/cases/?page_size=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [c["reference"] for c in body["results"]]
        # A case raised while paging must not shift the pages.
        if len(seen) == 2:
            case_create(requester=customer, subject="Arrived mid-walk", team=support_team)
        url = body["next"]
    assert seen == [c.reference for c in queue][::-1]
    assert client.get("/api/v1/cases/", {"page_size": 1000}).status_code == 200
    assert len(client.get("/api/v1/cases/", {"page_size": 1000}).json()["results"]) == 6


def test_customer_list_shows_their_own_cases_only(api, customer, queue):
    assert _refs(api(customer).get("/api/v1/cases/")) == [queue[i].reference for i in (4, 2, 1, 0)]


def test_token_authentication(api, agent, case):
    anonymous = api()
    assert anonymous.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}).status_code == 400
    response = anonymous.post("/api/v1/auth/token/", {"username": "alice", "password": "pass-Word-123"})
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert anonymous.get("/api/v1/cases/").status_code == 401
    anonymous.credentials()
    response = anonymous.get("/api/v1/cases/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_session_authentication(client, agent, case):
    client.force_login(agent)
    assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 200


def test_detail_shows_the_callers_allowed_transitions(api, case, agent, customer):
    def allowed(user):
        response = api(user).get(f"/api/v1/cases/{case.reference}/")
        return [t["name"] for t in response.json()["allowed_transitions"]]

    assert allowed(agent) == ["triage", "escalate", "cancel", "merge"]
    assert allowed(customer) == ["cancel"]
    body = api(customer).get(f"/api/v1/cases/{case.id}/").json()
    assert body["reference"] == case.reference and body["customer_state_label"] == "Received"
    assert body["allowed_transitions"] == [{"name": "cancel", "label": "Cancel"}]


def test_transition_through_the_api(api, case, agent):
    client = api(agent)
    response = client.post(f"/api/v1/cases/{case.reference}/transitions/triage/", {"reason": "read"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == State.TRIAGED
    response = client.post(f"/api/v1/cases/{case.reference}/transitions/close/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["state"] == State.TRIAGED and body["code"] == "transition_not_allowed"
    assert body["allowed_transitions"] == ["resolve", "escalate", "cancel", "merge"]
    assert client.post(f"/api/v1/cases/{case.reference}/transitions/explode/", {}, format="json").status_code == 404


def test_stale_expected_state_is_409_with_the_current_state(api, case, agent):
    client = api(agent)
    client.post(f"/api/v1/cases/{case.reference}/transitions/triage/", {}, format="json")
    response = client.post(f"/api/v1/cases/{case.reference}/transitions/cancel/",
                           {"expected_state": "new"}, format="json")
    assert response.status_code == 409
    assert response.json()["state"] == "triaged" and "cancel" in response.json()["allowed_transitions"]


def test_merge_through_the_api(api, case, agent, customer, support_team):
    target = case_create(requester=customer, subject="Same thing", team=support_team)
    client = api(agent)
    url = f"/api/v1/cases/{case.reference}/transitions/merge/"
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"into": "CS-999999"}, format="json").json()["fields"] == {"into": ["No such case."]}
    response = client.post(url, {"into": target.reference}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == State.MERGED and response.json()["merged_into"] == target.reference


def test_assign_and_edit_through_the_api(api, case, agent, support_team):
    client = api(agent)
    response = client.post(f"/api/v1/cases/{case.reference}/assign/", {"assignee": agent.pk}, format="json")
    assert response.status_code == 200 and response.json()["assignee"]["username"] == "alice"
    response = client.patch(f"/api/v1/cases/{case.reference}/", {"priority": "P2", "tags": ["Billing"],
                                                                  "expected_version": response.json()["version"]},
                            format="json")
    assert response.status_code == 200
    assert response.json()["priority"] == "P2" and response.json()["tags"] == ["billing"]
    stale = client.patch(f"/api/v1/cases/{case.reference}/", {"priority": "P1", "expected_version": 0}, format="json")
    assert stale.status_code == 409 and stale.json()["state"] == State.ASSIGNED


def test_customer_raises_a_case_for_themselves(api, customer, other_customer):
    client = api(customer)
    response = client.post("/api/v1/cases/", {"subject": "Help", "description": "Please", "tags": ["x"]},
                           format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["requester"]["username"] == "carol" and body["channel"] == "api"
    assert body["organization"]["name"] == "Acme" and body["allowed_transitions"] == [
        {"name": "cancel", "label": "Cancel"}]
    refused = client.post("/api/v1/cases/", {"subject": "For Oscar", "requester": other_customer.pk}, format="json")
    assert refused.status_code == 400 and "requester" in refused.json()["fields"]


def test_the_creation_answer_is_the_case_as_read_back(api, customer, support_team):
    """The answer to a creation shows what routing did inside it: team, owner, priority, tags."""
    from workflows.services.rules import routing_rule_save

    billing = CategoryFactory(name="Billing", slug="billing")
    refunds = CategoryFactory(name="Refunds", slug="refunds", parent=billing)
    routing_rule_save(name="Billing to support", conditions=[{"field": "category", "op": "eq", "value": "billing"}],
                      actions={"team": support_team.slug, "priority": "P2", "add_tags": ["money"]}, position=10)
    client = api(customer)
    response = client.post("/api/v1/cases/", {"subject": "Refund please", "category": refunds.pk, "tags": ["web"]},
                           format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["team"]["name"] == support_team.name and created["priority"] == "P2"
    assert created["tags"] == ["money", "web"] and created["category"]["name"] == str(refunds)
    read_back = client.get(f"/api/v1/cases/{created['reference']}/").json()
    assert created == read_back


def test_staff_raise_a_case_on_behalf_of_a_customer(api, agent, customer):
    response = api(agent).post("/api/v1/cases/", {"subject": "Called in", "requester": customer.pk,
                                                  "channel": "phone", "priority": "P2"}, format="json")
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert case.requester == customer and case.organization == customer.organization and case.channel == "phone"
    created = CaseEvent.objects.filter(case=case).first()
    assert created.actor == agent and created.kind == "created"
    assert [c.pk for c in customer.requested_cases.all()] == [case.pk]


def test_comment_through_the_api(api, case, agent, customer):
    response = api(agent).post(f"/api/v1/cases/{case.reference}/comments/",
                               {"body": "Internal", "public": False}, format="json")
    assert response.status_code == 201 and response.json()["visibility"] == "restricted"
    response = api(customer).post(f"/api/v1/cases/{case.reference}/comments/", {"body": "Any news?"}, format="json")
    assert response.status_code == 201 and response.json()["is_public"] is True


def test_events_are_paged_with_after(api, case, agent):
    for i in range(4):
        comment_add(case=case, author=agent, body=f"note {i}", public=False)
    client = api(agent)
    url = f"/api/v1/cases/{case.reference}/events/"
    first = client.get(url, {"limit": 2}).json()
    assert [e["kind"] for e in first["results"]] == ["created", "comment"]
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None
    ids = [e["id"] for page in (first, second, third) for e in page["results"]]
    assert ids == sorted(ids) and len(ids) == 5
    assert client.get(url, {"after": third["last_id"]}).json() == {
        "next": None, "last_id": third["last_id"], "results": []}
    assert client.get(url, {"after": "x"}).status_code == 400
    assert client.get(url, {"limit": 0}).status_code == 400
    assert client.get(url, {"limit": 501}).status_code == 400


def test_event_rows_carry_actor_before_and_after(api, case, agent):
    case_update(case=case, actor=agent, changes={"priority": "P1"}, reason="VIP")
    event = api(agent).get(f"/api/v1/cases/{case.reference}/events/").json()["results"][-1]
    assert event["kind"] == "field_change" and event["reason"] == "VIP"
    assert event["actor"] == {"id": agent.pk, "kind": "user", "name": agent.get_full_name()}
    assert (event["before"], event["after"]) == ({"priority": "P3"}, {"priority": "P1"})
    assert event["case_reference"] == case.reference


def test_me(api, agent, customer, support_team):
    me = api(agent).get("/api/v1/me/").json()
    assert me["username"] == "alice" and me["role"] == "agent" and me["is_staff_member"] is True
    assert me["teams"] == [{"id": support_team.pk, "name": "Support L1"}]
    me = api(customer).get("/api/v1/me/").json()
    assert me["organization"]["name"] == "Acme" and me["teams"] == [] and me["is_staff_member"] is False


def test_reference_endpoints(api, agent, case):
    case_update(case=case, actor=agent, changes={"tags": ["vip", "refund"]})
    client = api(agent)
    assert [t["name"] for t in client.get("/api/v1/tags/").json()["results"]] == ["refund", "vip"]
    product = ProductFactory(name="Cards")
    assert client.get(f"/api/v1/products/{product.pk}/").json()["name"] == "Cards"
