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


# At most this many events travel in one group message.
GROUP_MESSAGE_MAX_EVENTS = 100


def group_messages(messages: list[tuple[list[str], dict]]) -> list[tuple[str, dict]]:
    """Return (group, message) pairs that carry `messages` with one send per group where order allows.

    The events of one group travel together in one "live.events" message, in event order,
    instead of one message each: a delivery holding many new cases sends two messages per
    case (its staff and customer pages) rather than one per event and page. A board that
    follows several groups at once (the SLA board, one team group per team) must still see
    the events in id order, so an event for one such group closes the open batches of the
    others: their next event starts a new message, sent after this one.
    """
    sends: list[tuple[str, list[dict]]] = []
    open_batches: dict[str, list[dict]] = {}
    for names, message in messages:
        for name in names:
            batch = open_batches.get(name)
            if groups.followed_together(name):
                for other in [n for n in open_batches if n != name and groups.followed_together(n)]:
                    del open_batches[other]
            if batch is None or len(batch) >= GROUP_MESSAGE_MAX_EVENTS:
                batch = open_batches[name] = []
                sends.append((name, batch))
            batch.append(message)
    return [(name, batch[0] if len(batch) == 1 else {"type": "live.events", "events": batch})
            for name, batch in sends]


async def fan_out(layer, messages: list[tuple[list[str], dict]]) -> None:
    """Send the events to their groups (see `group_messages`), in event order within each group."""
    sends = group_messages(messages)
    if not sends:
        return
    loop_layer = _redis_pubsub_loop_layer(layer)
    if loop_layer is None:
        for name, message in sends:
            await layer.group_send(name, message)
        return
    # The Redis pub/sub layer: what `group_send` publishes, one PUBLISH per message, sent
    # in one round trip per Redis host instead of one round trip per message.
    by_shard: dict[object, list[tuple[str, bytes]]] = {}
    for name, message in sends:
        channel = loop_layer._get_group_channel_name(name)
        by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, layer.serialize(message)))
    for shard, published in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            async with shard._redis.pipeline(transaction=False) as pipe:
                for channel, data in published:
                    pipe.publish(channel, data)
                await pipe.execute()


_PUBSUB_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"
_PUBSUB_PARTS = ("_get_group_channel_name", "_get_shard")
_SHARD_PARTS = ("_lock", "_ensure_redis", "_redis")


def _redis_pubsub_loop_layer(layer):
    """The running loop's channels_redis pub/sub layer when `layer` is one (else None: plain `group_send`).

    Checked by name and by the parts `fan_out` uses, so a release of channels_redis that
    changes them falls back to `group_send` rather than failing to publish.
    """
    if f"{type(layer).__module__}.{type(layer).__qualname__}" != _PUBSUB_LAYER or not hasattr(layer, "serialize"):
        return None
    loop_layer = layer._get_layer()
    shards = getattr(loop_layer, "_shards", None)
    if not shards or not all(hasattr(loop_layer, part) for part in _PUBSUB_PARTS) or not all(
            hasattr(shard, part) for shard in shards for part in _SHARD_PARTS):
        return None
    return loop_layer
