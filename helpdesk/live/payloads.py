"""The messages a committed case event becomes: API output serializers plus routing facts.

One message per event is sent to each of its groups. It carries the facts a consumer
needs to filter without a query (the case's team and assignee, the event's visibility
and author team), the staff rendering, and a public rendering only for public events,
so a customer socket can only ever forward something that is public.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from helpdesk import bus
from helpdesk.prepared import PreparedSelect
from tickets.api.serializers import CaseEventSerializer, CaseSerializer
from tickets.models import Case, CaseEvent, Visibility
from tickets.reference import catalog_attach, tags_attach

from . import groups

# What the customer's page may learn about the case itself (the API's customer view shows
# the same fields); never the assignee, team or tags.
PUBLIC_CASE_FIELDS = ("id", "reference", "subject", "state_label", "created_at", "updated_at", "resolved_at", "closed_at")


# Built once: these run for every delivery of committed changes.
_EVENTS = PreparedSelect(CaseEvent, order_by="b.id")
_CASES = PreparedSelect(Case, related=("requester", "assignee", "team", "organization"))


def events_load(event_ids: Iterable[int]) -> list[CaseEvent]:
    """Return the events with everything their payload shows loaded, oldest first.

    Events handed over with the delivery (`helpdesk.bus.rows_delivered`: a new case's,
    committed with their case) are taken as they are. The others take three statements
    whatever their number: the events, their cases shaped like the queue's rows (people,
    team and organization joined in), and the cases' tags; products and categories come
    from this process's copy (`tickets.reference`).
    """
    ids = list(dict.fromkeys(event_ids))
    handed = bus.rows_delivered()
    taken = [handed[i] for i in ids if i in handed]
    if len(taken) == len(ids):
        return sorted(taken, key=lambda e: e.pk)
    events = _EVENTS.fetch_ids([i for i in ids if i not in handed])
    cases = {c.pk: c for c in _CASES.fetch_ids(sorted({e.case_id for e in events}))}
    catalog_attach(cases.values())
    tags_attach(list(cases.values()))
    for event in events:
        event.case = cases[event.case_id]
    return sorted(events + taken, key=lambda e: e.pk) if taken else events


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


# Stateless renderers: their `to_representation` builds the API's output by hand.
_CASE_OUT = CaseSerializer()
_EVENT_OUT = CaseEventSerializer()


class _EncodedCase:
    """A case's renderings for one batch: the API's output, encoded once; the customer's on demand."""

    def __init__(self, case: Case):
        self.case = case
        self.data = _CASE_OUT.to_representation(case)
        self.staff = _json(self.data)
        self._public: str | None = None

    @property
    def public(self) -> str:
        if self._public is None:
            public_case = {k: self.data[k] for k in PUBLIC_CASE_FIELDS if k in self.data}
            public_case["state_label"] = self.case.customer_state_label
            public_case["state"] = self.case.state
            self._public = _json(public_case)
        return self._public


def event_frames(event: CaseEvent, rendered_cases: dict[int, _EncodedCase] | None = None, *,
                 replay: bool = False) -> dict[str, str]:
    """Return the JSON text frames of an event: "staff" always, "public" only for a public event.

    A frame is `{"type": "event", "id": …, "event": <the API's event>, "case": <the API's
    case>}`; the customer's case holds only PUBLIC_CASE_FIELDS and the state as the customer
    sees it. `rendered_cases` keeps each case's encoded rendering across the events of one
    batch: a new case brings its created, SLA and routing events, all showing the same
    committed case, encoded once.
    """
    if rendered_cases is None:
        rendered_cases = {}
    encoded = rendered_cases.get(event.case.pk)
    if encoded is None:
        encoded = rendered_cases[event.case.pk] = _EncodedCase(event.case)
    marks = ',"replay":true' if replay else ""
    head = f'{{"type":"event","id":{int(event.pk)}{marks},"event":{_json(_EVENT_OUT.to_representation(event))},"case":'
    frames = {"staff": f"{head}{encoded.staff}}}"}
    if event.visibility == Visibility.PUBLIC:
        frames["public"] = f"{head}{encoded.public}}}"
    return frames


def event_message(event: CaseEvent, rendered_cases: dict[int, _EncodedCase] | None = None, *, replay: bool = False) -> dict:
    """Return the channel-layer message for one event (handled by `live_event` in consumers).

    Flat on purpose: the frames are encoded once here rather than once per socket, and the
    in-memory layer deep-copies a message for every member of a group.
    """
    message = {
        "type": "live.event",
        "id": event.pk,
        "case_id": event.case_id,
        "case_team": event.case.team_id,
        "case_assignee": event.case.assignee_id,
        "kind": event.kind,
        "visibility": event.visibility,
        "author_team": (event.data or {}).get("author_team"),
        "department": groups.task_department_id(event.data or {}),
    }
    for name, frame in event_frames(event, rendered_cases, replay=replay).items():
        message[f"{name}_frame"] = frame
    return message


def messages_for(event_ids: Iterable[int]) -> list[tuple[list[str], dict]]:
    """Return (groups, message) for each event, in event id order."""
    out = []
    rendered_cases: dict[int, _EncodedCase] = {}
    for event in events_load(event_ids):
        names = groups.for_event(
            case_id=event.case_id, kind=event.kind, team_id=event.team_id, before=event.before or {},
            data=event.data or {}, visibility=event.visibility,
        )
        out.append((names, event_message(event, rendered_cases)))
    return out


def _plain(data):
    """Turn serializer output (ReturnDict, datetimes already strings) into plain JSON types."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, (str, int, float, bool)) or data is None:
        return data
    return str(data)
