"""Fixtures for the live boards: an in-process channel layer, sockets, cases that change."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from helpdesk.routing import websocket_urlpatterns
from tickets.services.cases import case_create

TIMEOUT = 5


@pytest.fixture
def live(settings, transactional_db):
    """Run the boards on the in-memory layer with a fast relay (the embedded default).

    Consumers query from worker threads, so the data must be committed: transactional_db.
    """
    memory = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    settings.CHANNEL_LAYERS = {"default": memory, "live": memory}
    settings.HELPDESK_LIVE = {**settings.HELPDESK_LIVE, "MODE": "relay", "RELAY_INTERVAL": 0.05}
    return settings


@pytest.fixture
def team_case(support_team, customer, agent):
    """Return a case in the L1 team's queue, raised by the customer."""
    return case_create(requester=customer, subject="Printer on fire", team=support_team, actor=customer)


async def socket_for(user, path="/ws/live/"):
    """Return a connected communicator whose scope carries `user` (what the auth middleware sets)."""
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def subscribe(user, board, key="", last_event_id=None):
    """Return (communicator, first frame) after asking for `board`."""
    communicator = await socket_for(user)
    frame = {"type": "subscribe", "board": board, "key": key}
    if last_event_id is not None:
        frame["last_event_id"] = last_event_id
    await communicator.send_json_to(frame)
    return communicator, await next_frame(communicator)


async def next_frame(communicator, timeout=TIMEOUT):
    """Return the next JSON frame, or {"close": code} when the server closed the socket."""
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"close": output.get("code")}
    import json

    return json.loads(output["text"])


async def frames_until(communicator, predicate, timeout=TIMEOUT, skip=("presence", "pong")):
    """Return the frames received up to and including the first that matches `predicate`."""
    seen = []
    while True:
        frame = await next_frame(communicator, timeout)
        if frame.get("type") in skip:
            continue
        seen.append(frame)
        if predicate(frame):
            return seen


async def nothing_more(communicator, wait=0.5, skip=("presence", "pong")) -> list:
    """Return the non-presence frames that arrive within `wait` seconds (expected: none).

    receive_nothing, unlike a timed-out receive_output, leaves the application running.
    """
    got = []
    while not await communicator.receive_nothing(wait):
        frame = await next_frame(communicator)
        if frame.get("type") not in skip:
            got.append(frame)
    return got
