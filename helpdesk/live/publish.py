"""Publication of committed case events to the live boards (an event-bus subscriber).

`helpdesk.bus` calls `events_committed` after commit in whichever process made the change:
a web request, a Celery worker or beat. With a channel layer that spans processes (Redis)
the messages are sent from here directly. With the in-memory layer of the embedded default
a worker cannot reach the web process's layer, so the relay in the ASGI process tails the
event log instead; here we only wake the relay when it runs in this very process.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from . import relay
from .payloads import messages_for

log = logging.getLogger(__name__)

IN_MEMORY_BACKEND = "channels.layers.InMemoryChannelLayer"


def live_mode() -> str:
    """Return "direct" (publish from the committing process) or "relay" (tail the event log).

    HELPDESK_LIVE["MODE"] may force either; "auto" relays exactly when the channel layer
    is process-local.
    """
    mode = settings.HELPDESK_LIVE.get("MODE", "auto")
    if mode in ("direct", "relay"):
        return mode
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return "relay" if backend == IN_MEMORY_BACKEND else "direct"


def events_committed(event_ids: list[int]) -> None:
    """Send the committed events to their board groups (direct mode) or wake the relay."""
    if live_mode() == "relay":
        relay.nudge()
        return
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(fan_out)(layer, messages_for(event_ids))


async def fan_out(layer, messages: list[tuple[list[str], dict]]) -> None:
    """Send each message to each of its groups, in event order."""
    for names, message in messages:
        for name in names:
            await layer.group_send(name, message)
