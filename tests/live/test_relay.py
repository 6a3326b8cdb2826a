"""The relay carries events committed by other processes (worker, beat) to this process's groups."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from helpdesk.live import relay
from tests.live.conftest import frames_until, subscribe
from tickets.models import CaseEvent

pytestmark = pytest.mark.usefixtures("live")


def run(fn):
    return async_to_sync(fn)()


def test_events_committed_elsewhere_reach_the_board(team_case, agent, support_team, settings):
    """Simulate a worker: the event is written without this process's bus ever being called."""
    from helpdesk.eventlog import Actor
    from tickets.services.events import case_event_record

    settings.HELPDESK_EVENT_SUBSCRIBERS = []  # nothing in this process announces the change

    async def scenario():
        board, _ = await subscribe(agent, "team", support_team.slug)
        event = await asyncio.to_thread(
            lambda: _in_new_connection(lambda: case_event_record(
                case=team_case, kind="sla", actor=Actor.sla("resolution"), data={"type": "breach"}))
        )
        frames = await frames_until(board, lambda f: f.get("type") == "event")
        assert frames[-1]["id"] == event.pk and frames[-1]["event"]["kind"] == "sla"
        await board.disconnect()

    run(scenario)


def test_a_late_commit_below_the_last_relayed_id_is_picked_up(team_case, agent):
    """Ids are handed out at insert and seen at commit; a hole is remembered and filled later."""
    from helpdesk.eventlog import Actor
    from tickets.services.events import case_event_record

    async def scenario():
        r = relay.Relay()
        await r.step()  # learns where the log ends
        start = r.last_id
        first = await asyncio.to_thread(_in_new_connection, lambda: case_event_record(
            case=team_case, kind="comment", actor=Actor.of(agent)))
        second = await asyncio.to_thread(_in_new_connection, lambda: case_event_record(
            case=team_case, kind="comment", actor=Actor.of(agent)))
        # Pretend only the second had committed when the relay looked.
        r.last_id = start
        messages, ids = await asyncio.to_thread(_read_hiding, r, first.pk)
        assert ids == [second.pk] and first.pk in r.holes
        messages, ids = await asyncio.to_thread(r._read)
        assert ids == [first.pk] and not r.holes

    run(scenario)


def _read_hiding(r, hidden_id):
    original = CaseEvent.objects.filter

    def without(*args, **kwargs):
        return original(*args, **kwargs).exclude(id=hidden_id)

    CaseEvent.objects.filter = without
    try:
        return r._read()
    finally:
        del CaseEvent.objects.filter


def _in_new_connection(fn):
    try:
        return fn()
    finally:
        connection.close()
