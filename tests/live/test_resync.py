"""Reconnect with the last event id: exactly what was missed, in order; a long outage reloads."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from helpdesk import clock
from tests.live.conftest import frames_until, next_frame, nothing_more, subscribe
from tickets.services.cases import case_assign, case_transition, comment_add

pytestmark = pytest.mark.usefixtures("live")


def run(fn):
    return async_to_sync(fn)()


def test_reconnect_receives_exactly_the_three_missed_changes_in_order(team_case, agent, support_team):
    state = {}

    async def before_drop():
        board, _ = await subscribe(agent, "team", support_team.slug)
        await database_sync_to_async(case_transition)(case=team_case, name="triage", actor=agent)
        frame = (await frames_until(board, lambda f: f.get("type") == "event"))[-1]
        state["last"] = frame["id"]
        await board.disconnect()

    run(before_drop)
    # While the socket is down, three changes happen.
    case_assign(case=team_case, assignee=agent, actor=agent)
    comment_add(case=team_case, author=agent, body="Looking into it", public=True)
    case_transition(case=team_case, name="start", actor=agent)
    expected = list(team_case.events.filter(id__gt=state["last"]).values_list("id", "kind"))
    assert [k for _, k in expected] == ["assignment", "comment", "transition"]

    async def after_reconnect():
        board, frame = await subscribe(agent, "team", support_team.slug, last_event_id=state["last"])
        assert frame["type"] == "subscribed"
        frames = await frames_until(board, lambda f: f.get("type") == "resynced")
        events = [f for f in frames if f["type"] == "event"]
        assert [(f["id"], f["event"]["kind"]) for f in events] == expected
        assert all(f["replay"] for f in events)
        assert events[-1]["case"]["state"] == "in_progress"
        assert frames[-1] == {"type": "resynced", "count": 3}
        assert await nothing_more(board) == []
        await board.disconnect()

    run(after_reconnect)


def test_resync_message_on_an_open_socket(team_case, agent):
    first = team_case.events.last().pk
    comment_add(case=team_case, author=agent, body="Hello", public=True)

    async def scenario():
        board, _ = await subscribe(agent, "case", team_case.reference)
        await board.send_json_to({"type": "resync", "last_event_id": first})
        frames = await frames_until(board, lambda f: f.get("type") == "resynced")
        assert [f["event"]["kind"] for f in frames if f["type"] == "event"] == ["comment"]
        await board.disconnect()

    run(scenario)


def test_customer_resync_skips_internal_events(team_case, customer, agent, support_team):
    first = team_case.events.last().pk
    comment_add(case=team_case, author=agent, body="Internal only", public=False, author_team=support_team)
    comment_add(case=team_case, author=agent, body="Public reply", public=True)

    async def scenario():
        portal, _ = await subscribe(customer, "portal_case", team_case.reference, last_event_id=first)
        frames = await frames_until(portal, lambda f: f.get("type") == "resynced")
        assert [f["event"]["visibility"] for f in frames if f["type"] == "event"] == ["public"]
        await portal.disconnect()

    run(scenario)


def test_a_gap_larger_than_the_limit_asks_for_a_reload(live, team_case, agent, support_team):
    live.HELPDESK_LIVE = {**live.HELPDESK_LIVE, "RESYNC_MAX_EVENTS": 2}
    first = team_case.events.last().pk
    for n in range(3):
        comment_add(case=team_case, author=agent, body=f"note {n}", public=True)

    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug, last_event_id=first)
        assert (await next_frame(board)) == {"type": "reload", "reason": "gap"}
        await board.disconnect()

    run(scenario)


def test_an_outage_longer_than_the_window_asks_for_a_reload(live, team_case, agent, support_team):
    first = team_case.events.last().pk
    later = clock.now() + timedelta(seconds=live.HELPDESK_LIVE["RESYNC_WINDOW_SECONDS"] + 60)

    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug, last_event_id=first)
        assert (await next_frame(board))["type"] == "reload"
        await board.disconnect()

    with time_machine.travel(later, tick=True):
        run(scenario)


def test_an_unknown_event_id_asks_for_a_reload(agent, support_team):
    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug, last_event_id=10**12)
        assert (await next_frame(board))["type"] == "reload"
        await board.disconnect()

    run(scenario)
