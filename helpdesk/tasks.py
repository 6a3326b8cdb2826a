"""The worker heartbeat: proof that messages cross the broker and a worker runs them.

Beat sends one on its schedule (`helpdesk-heartbeat` in CELERY_BEAT_SCHEDULE); anything
on the web side may send one with `heartbeat_send`. `/healthz` shows the last of each.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from helpdesk import clock
from helpdesk.models import Heartbeat

SOURCES = ("beat", "web")


@shared_task(name="helpdesk.heartbeat", ignore_result=True)
def heartbeat(source: str = "beat", sent_at: str | None = None) -> None:
    """Record that a message from `source`, queued at `sent_at`, ran on a worker now.

    One upsert per run, so running it twice (acks_late redelivery) leaves one row with the
    latest times. Beat sends no `sent_at`; the run time stands for it.
    """
    if source not in SOURCES:
        return
    ran = clock.now()
    sent = datetime.fromisoformat(sent_at) if sent_at else ran
    Heartbeat.objects.bulk_create(
        [Heartbeat(source=source, sent_at=sent, ran_at=ran)],
        update_conflicts=True, unique_fields=["source"], update_fields=["sent_at", "ran_at"],
    )


def heartbeat_send(source: str = "web") -> None:
    """Queue a heartbeat from `source`, stamped with the time it was sent."""
    heartbeat.delay(source=source, sent_at=clock.now().isoformat())


def heartbeat_status() -> dict:
    """Return the last heartbeat of each source with its age in seconds (None if never)."""
    now = clock.now()
    rows = {h.source: h for h in Heartbeat.objects.filter(source__in=SOURCES)}
    return {
        source: ({"ran_at": rows[source].ran_at.isoformat(), "age_s": round((now - rows[source].ran_at).total_seconds(), 1),
                  "queue_s": round((rows[source].ran_at - rows[source].sent_at).total_seconds(), 3)}
                 if source in rows else None)
        for source in SOURCES
    }
