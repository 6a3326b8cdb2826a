"""Appending to the case event log; every app writes case events through here."""

from __future__ import annotations

from typing import Any

from helpdesk.eventlog import Actor
from helpdesk.inserts import insert_new
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


def case_events_record_many(*, entries: list[dict[str, Any]]) -> list[CaseEvent]:
    """Append many immutable events in one statement and return them, in order, with their ids.

    Each entry holds the keyword arguments of `case_event_record`. For sweeps that write
    thousands of events in one transaction; the same rules apply (the caller publishes).
    """
    return insert_new(case_events_build(entries=entries))


def case_events_build(*, entries: list[dict[str, Any]]) -> list[CaseEvent]:
    """The unsaved events of `entries` (as `case_events_record_many` takes them), for a caller
    that writes them together with other new rows (`helpdesk.inserts.insert_new_together`)."""
    events = []
    for entry in entries:
        case = entry["case"]
        event = CaseEvent(
            case=case, kind=entry["kind"], before=entry.get("before") or {}, after=entry.get("after") or {},
            reason=entry.get("reason") or "", visibility=entry.get("visibility", Visibility.INTERNAL),
            data=entry.get("data") or {}, team_id=case.team_id,
        )
        event.set_actor(entry["actor"])
        events.append(event)
    return events
