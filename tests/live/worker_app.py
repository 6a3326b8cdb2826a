"""The project's Celery app plus one task that changes a case, for the end-to-end test.

The worker subprocess is started with `-A tests.live.worker_app`, so the change runs the
real path inside a worker process: service, event log, commit, bus, live publication.
"""

from helpdesk.celery import app


@app.task(name="tests.live.transition")
def transition(case_id: int, name: str, actor_id: int) -> int:
    """Apply a transition as `actor_id` in the worker; return the case's newest event id."""
    from tickets.models import User
    from tickets.services.cases import case_transition

    case = case_transition(case=case_id, name=name, actor=User.objects.get(pk=actor_id))
    return case.events.order_by("-id").values_list("id", flat=True).first()
