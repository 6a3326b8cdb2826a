"""The relay: tails the case event log in the ASGI process and fans out to the local layer.

Used when the channel layer is process-local (the in-memory layer of the embedded
default), where a Celery worker or beat has no way to reach the web process's groups.
One relay runs per event loop (one per ASGI process in production; tests start a new
loop per test) and starts with the first WebSocket. It reads events committed after the
last one it sent, in id order, every RELAY_INTERVAL seconds or at once when a change
committed in this process wakes it.

Ids are allocated at insert but become visible at commit, so a slow transaction can
commit an id lower than one already relayed. The relay remembers such holes for
HOLE_GRACE seconds and picks them up when they appear; a hole that stays empty was a
rollback.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from tickets.models import CaseEvent

from . import groups

log = logging.getLogger(__name__)

BATCH = 500
HOLE_GRACE = 30.0
MAX_HOLES = 2000

_relays: dict[asyncio.AbstractEventLoop, "Relay"] = {}


def latest_event_id() -> int:
    """Return the id of the newest committed case event (0 when the log is empty)."""
    return CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


class Relay:
    """Moves committed events from the log to the groups of this process's channel layer."""

    def __init__(self):
        self.wake = asyncio.Event()
        # Set once the relay knows where the log stands: what commits after that is sent.
        self.ready = asyncio.Event()
        self.last_id: int | None = None
        self.holes: dict[int, float] = {}
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        interval = float(settings.HELPDESK_LIVE["RELAY_INTERVAL"])
        while True:
            self.wake.clear()
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the relay for the process
                log.exception("live relay step failed; retrying")
                await asyncio.sleep(1)
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass

    async def step(self) -> int:
        """Relay what committed since the last step; return how many events were sent."""
        from .publish import fan_out

        if self.last_id is None:
            self.last_id = await database_sync_to_async(latest_event_id, thread_sensitive=False)()
            self.ready.set()
            return 0
        layer = get_channel_layer(groups.LAYER)
        sent = 0
        while True:
            # Its own worker thread: the shared sync thread serves page views and subscriptions.
            messages, ids = await database_sync_to_async(self._read, thread_sensitive=False)()
            if not ids:
                return sent
            await fan_out(layer, messages)
            sent += len(ids)
            if len(ids) < BATCH:
                return sent

    def _read(self) -> tuple[list, list[int]]:
        from .payloads import messages_for

        now = time.monotonic()
        self.holes = {i: t for i, t in self.holes.items() if now - t < HOLE_GRACE}
        new_ids = list(
            CaseEvent.objects.filter(id__gt=self.last_id).order_by("id").values_list("id", flat=True)[:BATCH]
        )
        found_holes = []
        if self.holes:
            found_holes = list(CaseEvent.objects.filter(id__in=list(self.holes)).values_list("id", flat=True))
            for i in found_holes:
                self.holes.pop(i, None)
        expected = self.last_id + 1
        for i in new_ids:
            for missing in range(expected, min(i, expected + MAX_HOLES)):
                self.holes[missing] = now
            expected = i + 1
        if len(self.holes) > MAX_HOLES:
            for i in sorted(self.holes)[: len(self.holes) - MAX_HOLES]:
                del self.holes[i]
        if new_ids:
            self.last_id = new_ids[-1]
        ids = sorted(found_holes + new_ids)
        return (messages_for(ids) if ids else []), ids


def ensure_started() -> Relay:
    """Start the relay of the running event loop once; return it."""
    loop = asyncio.get_running_loop()
    relay = _relays.get(loop)
    if relay is None or relay.task is None or relay.task.done():
        for old in [lp for lp in _relays if lp.is_closed()]:
            del _relays[old]
        relay = Relay()
        relay.task = loop.create_task(relay.run(), name="helpdesk-live-relay")
        _relays[loop] = relay
    return relay


async def ensure_ready(timeout: float = 5.0) -> Relay:
    """Start the relay of the running loop if needed and wait until it knows where the log stands.

    A socket is answered only after that, so a change committed once the client is
    subscribed is never taken for one that happened before the relay started.
    """
    relay = ensure_started()
    try:
        await asyncio.wait_for(relay.ready.wait(), timeout=timeout)
    except asyncio.TimeoutError:  # the database is slow or down: the relay keeps trying
        log.warning("live relay not ready after %.1f s", timeout)
    return relay


def nudge() -> None:
    """Wake the relays of this process now (a change committed here); safe from any thread."""
    for loop, relay in list(_relays.items()):
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(relay.wake.set)
            except RuntimeError:  # the loop closed between the check and the call
                pass
