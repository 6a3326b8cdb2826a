"""Celery tasks of the workflows app: they take ids, re-fetch, and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)

# Seconds before retry n (1-based): 10 s, 40 s, 2.7 min, 10.7 min, 42.7 min.
BACKOFF_BASE = 10


def webhook_backoff(attempts: int) -> int:
    """Return the delay before the next attempt after `attempts` failed ones."""
    return BACKOFF_BASE * 4 ** max(0, attempts - 1)


@shared_task(name="workflows.absences_detour", ignore_result=True)
def absences_detour() -> int:
    """Beat sweep: hand over the open cases of people whose absence has started."""
    from workflows.services.absences import absences_detour_due

    return absences_detour_due()


@shared_task(name="workflows.automation_run", ignore_result=True, acks_late=True)
def automation_run(event_ids: list[int], depth: int = 0, origin: list[int] | None = None) -> int:
    """Run automation rules for committed case events (ids), at chain `depth`."""
    from workflows.services.automation import automation_process

    return automation_process(event_ids=event_ids, depth=depth, origin=origin or [])


@shared_task(name="workflows.webhook_deliver", bind=True, ignore_result=True, acks_late=True, max_retries=None)
def webhook_deliver(self, delivery_id: int) -> None:
    """Post one webhook delivery; on failure retry with exponential backoff until it gives up."""
    from workflows.services.webhooks import DeliveryFailed, webhook_attempt

    try:
        webhook_attempt(delivery_id=delivery_id)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=webhook_backoff(exc.attempts)) from exc
