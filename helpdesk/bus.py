"""Hands the ids of committed case events to the subscribers listed in settings.

Services call `publish_on_commit` inside their transaction; nothing runs unless the
transaction commits, so a rollback never notifies, automates or broadcasts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def publish_on_commit(event_ids: Iterable[int]) -> None:
    """Register delivery of `event_ids` to every subscriber once the transaction commits."""
    ids = [i for i in event_ids if i is not None]
    if ids:
        transaction.on_commit(lambda: deliver(ids))


def deliver(event_ids: list[int]) -> None:
    """Call each subscriber with the ids; one failing subscriber never stops the others."""
    for path in settings.HELPDESK_EVENT_SUBSCRIBERS:
        try:
            import_string(path)(event_ids)
        except Exception:  # a broken subscriber must not lose the others' work
            log.exception("event subscriber %s failed for events %s", path, event_ids)
