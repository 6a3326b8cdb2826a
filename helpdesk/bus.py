"""Hands the ids of committed case events to the subscribers listed in settings.

Services call `publish_on_commit` inside their transaction; nothing runs unless the
transaction commits, so a rollback never notifies, automates or broadcasts.

The events of one transaction reach the subscribers together, once: a case creation
whose routing assigns the case through nested services, or a sweep that touches many
cases, is one delivery rather than one per service call. In a web process, transactions
committed while an earlier delivery was running are delivered together, in commit order.

A change committed already when it publishes (PostgreSQL's implicit transaction, as a
customer's new case is written) may hand over its rows too: copies of the events as
written, with their case. A subscriber takes them from `rows_delivered` instead of loading
those ids again; the live boards' publication does.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class _Batch:
    """The event ids published so far in one transaction, delivered by the first surviving hook."""

    def __init__(self):
        self.ids: list[int] = []

    def flush(self) -> None:
        ids, self.ids = self.ids, []
        if ids:
            hand_over(ids)


def publish_on_commit(event_ids: Iterable[int], *, rows: Callable[[], dict[int, object]] | None = None) -> None:
    """Register delivery of `event_ids` to every subscriber once the transaction commits.

    `rows`, when given, returns copies of the events by id (each with its case loaded),
    made for the subscribers. It is used only when the events are committed already (no
    transaction is open): inside one, a savepoint rolled back later could leave the copies
    describing rows that were never written, so subscribers load the ids as usual.

    Every call registers the batch's flush with `transaction.on_commit`, so the batch is
    delivered even when the savepoint of an earlier call was rolled back (its hook is
    gone, a later one remains). Ids of events rolled back with a savepoint may travel with
    the batch; subscribers load events by id, so such ids find nothing and change nothing.
    """
    ids = [i for i in event_ids if i is not None]
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        # Autocommit: the events are committed already.
        hand_over(ids, _copies(rows, ids))
        return
    batch = getattr(connection, "_helpdesk_event_batch", None)
    # A batch whose hooks all left the queue (delivered, or rolled back with the
    # transaction) belongs to an earlier transaction: start a new one.
    if batch is None or not any(getattr(func, "__self__", None) is batch for _, func, _ in connection.run_on_commit):
        batch = connection._helpdesk_event_batch = _Batch()
    batch.ids.extend(ids)
    transaction.on_commit(batch.flush)


def _copies(rows: Callable[[], dict[int, object]] | None, ids: list[int]) -> dict[int, object] | None:
    """Call `rows`; a failure there costs the subscribers a load, never the committed change."""
    if rows is None:
        return None
    try:
        return rows()
    except Exception:
        log.exception("copies of the committed events %s could not be made; subscribers load them", ids)
        return None


_delivering = threading.local()


def deliver(event_ids: list[int], rows: dict[int, object] | None = None) -> None:
    """Call each subscriber with the ids; one failing subscriber never stops the others.

    During the calls `rows_delivered()` answers the rows handed over with the ids.
    """
    # A subscriber's own change may be delivered within this one (on the committing
    # thread): the rows of this delivery come back once it is done.
    outer, _delivering.rows = rows_delivered(), rows or {}
    try:
        for path in settings.HELPDESK_EVENT_SUBSCRIBERS:
            try:
                import_string(path)(event_ids)
            except Exception:  # a broken subscriber must not lose the others' work
                log.exception("event subscriber %s failed for events %s", path, event_ids)
    finally:
        _delivering.rows = outer


def rows_delivered() -> dict[int, object]:
    """The committed events handed over with the ids being delivered, by id (see `publish_on_commit`).

    Some or none of the ids may be there: a subscriber loads the others. The rows are the
    delivery's own copies; a subscriber reads them and does not change them.
    """
    return getattr(_delivering, "rows", {})


# --- delivery off the committing thread ------------------------------------------------
#
# A web process answers the request that made a change without waiting for the live
# publication, the automation and webhook hand-offs: once `background_start` has run
# (the ASGI application does it), committed batches go to one daemon thread per process,
# which delivers them in commit order. Elsewhere (Celery workers, beat, management
# commands, tests) delivery stays on the committing thread, right after the commit.


# At most this many event ids in one coalesced delivery (a subscriber loads them in one go).
COALESCE_MAX_IDS = 2000
# Under a steady flow of commits, how long the thread waits for more before delivering
# (the live boards' added latency at most; a lone change is not held back).
COALESCE_WAIT_SECONDS = 0.02


class _Dispatcher:
    """One thread delivering batches in the order they were committed; bounded."""

    def __init__(self, max_batches: int):
        self.pid = os.getpid()
        self.queue: queue.Queue[tuple[list[int], dict[int, object] | None] | None] = queue.Queue(maxsize=max_batches)
        self.thread = threading.Thread(target=self._run, name="helpdesk-event-bus", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()

    def submit(self, ids: list[int], rows: dict[int, object] | None = None) -> None:
        try:
            self.queue.put_nowait((ids, rows))
        except queue.Full:
            # Far behind (a stalled broker, say): the committing thread delivers itself,
            # which slows it down instead of letting the backlog grow without bound.
            deliver(ids, rows)

    def _run(self) -> None:
        delivered_at = float("-inf")
        while True:
            taken = [self.queue.get()]
            # Batches committed while the previous delivery ran go out together, still in
            # commit order. Under a steady flow of commits (this one came soon after the
            # last delivery) the thread also waits a moment for more: the subscribers then
            # load and render the events of many transactions at once, instead of one
            # transaction at a time. A lone change is delivered at once.
            ids, rows = [], {}
            self._add(taken[0], ids, rows)
            now = time.monotonic()
            until = now + COALESCE_WAIT_SECONDS if now - delivered_at < COALESCE_WAIT_SECONDS else now
            while taken[-1] is not None and len(ids) < COALESCE_MAX_IDS:
                try:
                    taken.append(self.queue.get(timeout=max(0.0, until - time.monotonic())))
                except queue.Empty:
                    break
                self._add(taken[-1], ids, rows)
            try:
                if ids:
                    deliver(ids, rows)
            finally:
                delivered_at = time.monotonic()
                # This thread's own database connection: drop it when broken or too old.
                close_old_connections()
                for _ in taken:
                    self.queue.task_done()
            if taken[-1] is None:
                return

    @staticmethod
    def _add(item, ids: list[int], rows: dict[int, object]) -> None:
        if item is not None:
            ids.extend(item[0])
            if item[1]:
                rows.update(item[1])

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted batch was delivered; return False on timeout."""
        done = threading.Event()
        waiter = threading.Thread(target=lambda: (self.queue.join(), done.set()), daemon=True)
        waiter.start()
        return done.wait(timeout)


_dispatcher: _Dispatcher | None = None
_dispatcher_lock = threading.Lock()


def background_start(max_batches: int = 10_000) -> None:
    """Deliver committed events from a daemon thread of this process from now on (idempotent)."""
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None or not _dispatcher.alive():
            _dispatcher = _Dispatcher(max_batches)


def background_stop(timeout: float = 10.0) -> bool:
    """Deliver what is queued, then return to delivering on the committing thread."""
    global _dispatcher
    with _dispatcher_lock:
        dispatcher, _dispatcher = _dispatcher, None
    if dispatcher is None or not dispatcher.alive():
        return True
    drained = dispatcher.drain(timeout)
    dispatcher.queue.put(None)
    return drained


def background_drain(timeout: float = 10.0) -> bool:
    """Wait until the events committed so far were delivered (True at once when not in background)."""
    dispatcher = _dispatcher
    if dispatcher is None or not dispatcher.alive():
        return True
    return dispatcher.drain(timeout)


def hand_over(ids: list[int], rows: dict[int, object] | None = None) -> None:
    """Deliver `ids` (with `rows`) now, or queue them for this process's delivery thread when it runs."""
    dispatcher = _dispatcher
    if dispatcher is not None and dispatcher.alive():
        dispatcher.submit(ids, rows)
    else:
        deliver(ids, rows)


atexit.register(background_stop, 5.0)
