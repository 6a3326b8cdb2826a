"""Appending to the case event log; every app writes case events through here."""

from __future__ import annotations

from typing import Any

from helpdesk.eventlog import Actor
from tickets.models import Case, CaseEvent, Visibility


def case_event_record(
    *,
    case: Case,
    kind: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    visibility: str = Visibility.INTERNAL,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one immutable event to the case's log and return it.

    Callers run inside the transaction that made the change, and hand the returned
    events to `helpdesk.bus.publish_on_commit` once their change is complete.
    """
    event = CaseEvent(
        case=case,
        kind=kind,
        before=before or {},
        after=after or {},
        reason=reason or "",
        visibility=visibility,
        data=data or {},
        team_id=case.team_id,
    )
    event.set_actor(actor)
    event.save()
    return event
