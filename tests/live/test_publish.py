"""Publication after commit: group fan-out, payloads, and the direct path through Redis."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

from helpdesk.live import groups, publish
from helpdesk.live.payloads import messages_for
from tests.live.conftest import frames_until, subscribe
from tickets.api.serializers import CaseEventSerializer
from tickets.services.cases import case_assign, case_transition, comment_add


def test_groups_of_an_event():
    assert groups.for_event(case_id=7, kind="comment", team_id=3, before={}, data={}, visibility="restricted") == [
        "live.case.7", "live.team.3"]
    # Moving a case between teams tells the board it left; public events reach the portal.
    assert groups.for_event(case_id=7, kind="assignment", team_id=4, before={"team": 3}, data={},
                            visibility="public") == ["live.case.7", "live.team.3", "live.team.4", "live.portal.7"]
    assert "live.department.9" in groups.for_event(case_id=7, kind="task", team_id=None, before={},
                                                   data={"department": 9}, visibility="internal")


def test_payload_reuses_the_api_serializers_and_carries_the_id(db, team_case, agent, support_team):
    comment_add(case=team_case, author=agent, body="Internal", public=False, author_team=support_team)
    event = team_case.events.last()
    [(names, message)] = messages_for([event.pk])
    staff = json.loads(message["staff_frame"])
    assert message["id"] == event.pk == staff["id"] == staff["event"]["id"]
    assert staff["event"] == dict(CaseEventSerializer(event).data) | {"occurred_at": staff["event"]["occurred_at"]}
    assert staff["case"]["reference"] == team_case.reference
    assert "public_frame" not in message  # an internal note has no customer rendering at all
    assert groups.case_public(team_case.pk) not in names


def test_nothing_is_published_when_the_transaction_rolls_back(db, team_case, agent, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(publish, "events_committed", lambda ids: sent.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                case_transition(case=team_case, name="triage", actor=agent)
                raise RuntimeError("the request failed after the change")
        except RuntimeError:
            pass
    assert sent == []


def test_mode_follows_the_channel_layer(settings):
    settings.HELPDESK_LIVE = {**settings.HELPDESK_LIVE, "MODE": "auto"}
    settings.CHANNEL_LAYERS = {"live": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert publish.live_mode() == "relay"
    settings.CHANNEL_LAYERS = {"live": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"}}
    assert publish.live_mode() == "direct"


def test_direct_publication_through_redis(needs_redis, settings, transactional_db, team_case, agent, support_team):
    """With Redis the committing process sends to the groups itself; no relay runs."""
    settings.CHANNEL_LAYERS = {"live": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                        "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": "test-live"}}}
    settings.HELPDESK_LIVE = {**settings.HELPDESK_LIVE, "MODE": "direct"}

    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug)
        await database_sync_to_async(case_assign)(case=team_case, assignee=agent, actor=agent)
        frames = await frames_until(board, lambda f: f.get("type") == "event")
        assert frames[-1]["event"]["kind"] == "assignment"
        assert frames[-1]["case"]["assignee"]["id"] == agent.pk
        await board.disconnect()

    async_to_sync(scenario)()


def _message(event_id: int) -> dict:
    return {"type": "live.event", "id": event_id}


def _ids_in(message: dict) -> list[int]:
    return [m["id"] for m in message["events"]] if message["type"] == "live.events" else [message["id"]]


def test_a_delivery_sends_each_group_its_events_together_in_order():
    case_1, case_2, team_3, team_4 = "live.case.1", "live.case.2", "live.team.3", "live.team.4"
    sends = publish.group_messages([
        ([case_1, team_3], _message(1)),
        ([case_1, team_4], _message(2)),
        ([case_2, team_3], _message(3)),
        ([case_1, team_3], _message(4)),
    ])
    by_group: dict[str, list[list[int]]] = {}
    for name, message in sends:
        by_group.setdefault(name, []).append(_ids_in(message))
    # A case page follows one group: its events travel in one message.
    assert by_group[case_1] == [[1, 2, 4]]
    assert by_group[case_2] == [[3]] and dict(sends)[case_2] == _message(3)  # a lone event stays as it was
    # The SLA board follows teams 3 and 4 at once: what it receives, message after message, stays in id order.
    following_both = [i for name, message in sends if name in (team_3, team_4) for i in _ids_in(message)]
    assert following_both == [1, 2, 3, 4]
    assert by_group[team_3] == [[1], [3, 4]]


def test_a_group_message_holds_a_bounded_number_of_events(monkeypatch):
    monkeypatch.setattr(publish, "GROUP_MESSAGE_MAX_EVENTS", 2)
    sends = publish.group_messages([(["live.case.1"], _message(n)) for n in range(1, 6)])
    assert [_ids_in(m) for _, m in sends] == [[1, 2], [3, 4], [5]]


@pytest.mark.usefixtures("live")
def test_events_of_one_transaction_reach_each_board_in_order(team_case, customer, agent, support_team):
    """One commit, several events: each board gets its own, one frame per event, in id order."""

    def changes():
        with transaction.atomic():
            comment_add(case=team_case, author=agent, body="Internal: check the fuse", public=False,
                        author_team=support_team)
            comment_add(case=team_case, author=agent, body="We are on it", public=True)
            case_transition(case=team_case, name="triage", actor=agent)

    async def scenario():
        desk, _ = await subscribe(agent, "case", team_case.reference)
        portal, _ = await subscribe(customer, "portal_case", team_case.reference)
        board, _ = await subscribe(agent, "team", support_team.slug)
        await database_sync_to_async(changes)()
        done = lambda f: f.get("event", {}).get("kind") == "transition"  # noqa: E731
        for socket in (desk, board):
            frames = [f for f in await frames_until(socket, done) if f["type"] == "event"]
            assert [f["event"]["kind"] for f in frames] == ["comment", "comment", "transition"]
            assert [f["id"] for f in frames] == sorted(f["id"] for f in frames)
        public = [f for f in await frames_until(portal, lambda f: f.get("event", {}).get("visibility") == "public")
                  if f["type"] == "event"]
        assert [(f["event"]["kind"], f["event"]["visibility"]) for f in public] == [("comment", "public")]
        for socket in (desk, portal, board):
            await socket.disconnect()

    async_to_sync(scenario)()


def test_a_delivery_reaches_redis_in_one_pipeline(needs_redis, settings, transactional_db, team_case, agent,
                                                  support_team, monkeypatch):
    """Through Redis the messages of a delivery go in one round trip, not one `group_send` each."""
    from channels_redis.pubsub import RedisPubSubLoopLayer

    settings.CHANNEL_LAYERS = {"live": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                        "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": "test-live"}}}
    settings.HELPDESK_LIVE = {**settings.HELPDESK_LIVE, "MODE": "direct"}
    sent_one_by_one = []
    group_send = RedisPubSubLoopLayer.group_send

    async def counted(self, group, message):
        sent_one_by_one.append(group)
        return await group_send(self, group, message)

    monkeypatch.setattr(RedisPubSubLoopLayer, "group_send", counted)

    def changes():
        with transaction.atomic():
            comment_add(case=team_case, author=agent, body="Checking", public=True)
            case_assign(case=team_case, assignee=agent, actor=agent)

    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug)
        await database_sync_to_async(changes)()
        frames = await frames_until(board, lambda f: f.get("event", {}).get("kind") == "assignment")
        assert [f["event"]["kind"] for f in frames if f["type"] == "event"] == ["comment", "assignment"]
        await board.disconnect()

    async_to_sync(scenario)()
    assert sent_one_by_one == []


def test_a_public_event_has_a_customer_frame_with_the_customer_fields_only(db, team_case, agent):
    from helpdesk.live.payloads import PUBLIC_CASE_FIELDS

    comment_add(case=team_case, author=agent, body="We are on it", public=True)
    event = team_case.events.last()
    [(names, message)] = messages_for([event.pk])
    staff, public = json.loads(message["staff_frame"]), json.loads(message["public_frame"])
    assert groups.case_public(team_case.pk) in names
    assert public["event"] == staff["event"] and public["id"] == event.pk and public["type"] == "event"
    assert set(public["case"]) == set(PUBLIC_CASE_FIELDS) | {"state"}
    assert public["case"]["state_label"] == team_case.customer_state_label
    assert {k: v for k, v in public["case"].items() if k not in ("state", "state_label")} == {
        k: staff["case"][k] for k in PUBLIC_CASE_FIELDS if k != "state_label"}
    # Encoded as the API encodes: compact JSON, the frame's keys in their fixed order.
    assert message["public_frame"] == json.dumps(public, separators=(",", ":"))
    assert list(public) == ["type", "id", "event", "case"]


handed_over: list[tuple[list[int], dict, list, int]] = []


def render_with_handed_rows(event_ids):
    """A subscriber that renders as the live publication does, while the rows are handed over."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk import bus

    with CaptureQueriesContext(connection) as queries:
        messages = messages_for(event_ids)
    handed_over.append((list(event_ids), dict(bus.rows_delivered()), messages, len(queries)))


def _parsed(message: tuple[list[str], dict]) -> tuple[list[str], dict]:
    names, fields = message
    return names, {k: json.loads(v) if k.endswith("_frame") else v for k, v in fields.items()}


def test_a_new_cases_events_are_published_from_the_rows_it_wrote(needs_postgres, transactional_db, settings):
    from datetime import time

    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from sla.services.policies import calendar_define, policy_define
    from tests.factories import CategoryFactory, CustomerFactory, OrganizationFactory, ProductFactory

    office = calendar_define(name="Office", time_zone="Europe/Dublin", hours=[(d, time(9), time(17)) for d in range(5)])
    policy_define(name="Standard", position=100, is_default=True,
                  targets=[(p, kind, 480, office) for p in ("P1", "P2", "P3", "P4")
                           for kind in ("first_response", "resolution")])
    customer = CustomerFactory(organization=OrganizationFactory(name="Globex", tier="premium"))
    billing = CategoryFactory(name="Billing", slug="billing")
    refunds, product = CategoryFactory(name="Refunds", slug="refunds", parent=billing), ProductFactory(name="Payroll")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer).key}")
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.live.test_publish.render_with_handed_rows"]
    handed_over.clear()

    response = client.post("/api/v1/cases/", {"subject": "Refund twice", "product": product.pk, "priority": "P2",
                                              "category": refunds.pk, "tags": ["vip", "urgent"]}, format="json")
    assert response.status_code == 201, response.content
    [(ids, rows, messages, queries)] = handed_over
    # Committed in PostgreSQL's implicit transaction: every event came with the delivery,
    # the created event and the two clocks' "started", and rendering asked nothing.
    assert sorted(rows) == ids and len(ids) == 3 and queries == 0
    # What the boards receive is what loading the committed rows gives (PostgreSQL keeps
    # the keys of a JSON document in an order of its own).
    assert [_parsed(m) for m in messages] == [_parsed(m) for m in messages_for(ids)]
    staff = json.loads(messages[0][1]["staff_frame"])
    assert staff["case"]["reference"] == response.json()["reference"] and staff["case"]["tags"] == ["urgent", "vip"]
    assert [json.loads(m["staff_frame"])["event"]["data"].get("clock") is not None for _, m in messages] == [
        False, True, True]
