"""Publication of committed case events to the live boards (an event-bus subscriber).

`helpdesk.bus` calls `events_committed` after commit in whichever process made the change:
a web request, a Celery worker or beat. With a channel layer that spans processes (Redis)
the messages are sent from here directly. With the in-memory layer of the embedded default
a worker cannot reach the web process's layer, so the relay in the ASGI process tails the
event log instead; here we only wake the relay when it runs in this very process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from channels.layers import get_channel_layer
from django.conf import settings

from . import groups, relay
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
    backend = settings.CHANNEL_LAYERS.get(groups.LAYER, {}).get("BACKEND", "")
    return "relay" if backend == IN_MEMORY_BACKEND else "direct"


def events_committed(event_ids: list[int]) -> None:
    """Send the committed events to their board groups (direct mode) or wake the relay."""
    if live_mode() == "relay":
        relay.nudge()
        return
    layer = get_channel_layer(groups.LAYER)
    if layer is None:
        return
    # Services run in sync code (a worker, a view's thread); the publishing loop's Redis
    # connections stay open between events.
    _publisher_loop().submit(fan_out(layer, messages_for(event_ids)))


class _PublisherLoop:
    """One event loop in a daemon thread per process, so Redis connections are reused.

    `async_to_sync` would start a fresh loop per call, and channels_redis keeps its
    connection pool per loop: every publication would open new connections.
    """

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="helpdesk-live-publisher", daemon=True)
        self.thread.start()

    def submit(self, coroutine, timeout: float = 5.0) -> None:
        """Run `coroutine` on the loop and wait for it, so events leave in commit order."""
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


_publisher: _PublisherLoop | None = None
_publisher_lock = threading.Lock()


def _publisher_loop() -> _PublisherLoop:
    global _publisher
    with _publisher_lock:
        if _publisher is None or not _publisher.thread.is_alive() or os.getpid() != _publisher_pid[0]:
            # A forked Celery child must not share its parent's loop thread (it does not exist there).
            _publisher = _PublisherLoop()
            _publisher_pid[0] = os.getpid()
        return _publisher


_publisher_pid = [os.getpid()]


async def fan_out(layer, messages: list[tuple[list[str], dict]]) -> None:
    """Send each message to each of its groups, in event order."""
    for names, message in messages:
        for name in names:
            await layer.group_send(name, message)
