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
