"""The case timeline as pages show it, built from the event log the user may see.

Agents read every change with its actor; customers read the public events in their own
words. Both come from `tickets.selectors.events_visible_to`, so a customer's timeline can
never hold an internal note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tickets import selectors
from tickets.models import TRANSITION_LABELS, Case, Channel, EventKind, State
from tickets.models.cases import CUSTOMER_STATE_LABELS

FIELD_LABELS = {
    "priority": "priority", "category": "category", "product": "product", "tags": "tags",
    "custom_fields": "custom fields", "subject": "subject", "description": "description",
    "organization": "organization",
}


@dataclass
class Entry:
    kind: str  # css modifier: reply, note, customer, change, system
    actor: str
    at: object
    title: str
    comment: object = None
    reason: str = ""
    details: list[str] = field(default_factory=list)
    event_id: int = 0


def build_timeline(user, case: Case, *, audience: str) -> list[Entry]:
    """Return the timeline entries of `case` for `user`; audience is "staff" or "customer"."""
    events = list(selectors.events_visible_to(user, case))
    comments = {c.pk: c for c in selectors.comments_visible_to(user, case)}
    entries = []
    for event in events:
        entry = _entry(event, comments, audience=audience, case=case)
        if entry is not None:
            entry.event_id = event.pk
            entries.append(entry)
    return entries


def _state_label(value, audience: str) -> str:
    try:
        state = State(value)
    except ValueError:
        return str(value or "")
    return CUSTOMER_STATE_LABELS[state] if audience == "customer" else state.label


def _value(value) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("title") or "…")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return "none" if value in (None, "") else str(value)


def _entry(event, comments, *, audience: str, case: Case) -> Entry | None:
    actor = event.actor_label or event.get_actor_kind_display()
    if audience == "customer" and event.actor_id and event.actor_id != case.requester_id and event.actor_kind == "user":
        actor = f"{event.actor.first_name or event.actor_label} (support)" if event.actor else "Support"
    # Staff write reasons for each other; a customer reads only the reasons they gave.
    reason = event.reason if audience == "staff" or event.actor_id == case.requester_id else ""
    base = {"actor": actor, "at": event.occurred_at, "reason": reason}
    data, before, after = event.data or {}, event.before or {}, event.after or {}
    kind = event.kind
    if kind == EventKind.COMMENT:
        comment = comments.get(data.get("comment_id"))
        if comment is None:
            return None
        if comment.is_public:
            css = "customer" if data.get("from_customer") else "reply"
            title = "replied" if css == "reply" else ("wrote" if audience == "customer" else "customer wrote")
        else:
            css, title = "note", "added an internal note" + (" (shared)" if comment.shared else "")
        return Entry(kind=css, title=title, comment=comment, **base)
    if kind == EventKind.CREATED:
        channel = Channel(after.get("channel", Channel.WEB)).label if after.get("channel") in Channel.values else ""
        title = "raised the case" + (f" via {channel.lower()}" if channel else "")
        return Entry(kind="system", title=title, **base)
    if kind == EventKind.TRANSITION:
        name = data.get("transition", "")
        state_after = _state_label(after.get("state"), audience)
        if audience == "customer":
            return Entry(kind="change", title=f"status is now “{state_after}”", **base)
        title = f"{TRANSITION_LABELS.get(name, name).lower()}: {_state_label(before.get('state'), audience)} → {state_after}"
        if data.get("automatic"):
            title += " (automatic)"
        details = []
        if before.get("escalation_level") != after.get("escalation_level"):
            details.append(f"Escalation level {before.get('escalation_level')} → {after.get('escalation_level')}")
        return Entry(kind="change", title=title, details=details, **base)
    if kind == EventKind.ASSIGNMENT:
        who = after.get("assignee_name") or "nobody"
        title = f"assigned the case to {who}" if after.get("assignee") else "returned the case to the queue"
        details = []
        if before.get("assignee_name") and before.get("assignee") != after.get("assignee"):
            details.append(f"Previously {before['assignee_name']}")
        if before.get("team_name") != after.get("team_name"):
            details.append(f"Team {before.get('team_name') or 'none'} → {after.get('team_name') or 'none'}")
        return Entry(kind="change", title=title, details=details, **base)
    if kind == EventKind.FIELD_CHANGE:
        name = data.get("field") or next(iter(after), "field")
        label = FIELD_LABELS.get(name, name.replace("_", " "))
        if name in ("description", "custom_fields"):
            return Entry(kind="change", title=f"changed the {label}", **base)
        return Entry(kind="change", title=f"changed the {label}: {_value(before.get(name))} → {_value(after.get(name))}",
                     **base)
    if kind == EventKind.MERGE:
        if after.get("merged_into"):
            return Entry(kind="change", title=f"merged this case into {after['merged_into']}", **base)
        return Entry(kind="change", title=f"merged {after.get('merged_from', 'another case')} into this case", **base)
    if kind == EventKind.ATTACHMENT:
        return Entry(kind="change", title="attached " + ", ".join(data.get("files", []) or ["a file"]), **base)
    if audience == "customer":
        return None
    return Entry(kind="system", title=_other_title(event), **base)


def _other_title(event) -> str:
    """Describe events other apps write (SLA, routing, tasks, ...) from their data."""
    data = event.data or {}
    label = dict(EventKind.choices).get(event.kind, event.kind.replace("_", " ").capitalize())
    parts = [str(data[k]).replace("_", " ") for k in ("type", "target", "title", "summary", "rule") if data.get(k)]
    if event.kind in (EventKind.ROUTING, EventKind.ESCALATION) and event.after.get("team_name"):
        parts.append(f"to {event.after['team_name']}")
    if not parts:
        return label
    if (event.actor_label or "").strip().lower() == label.lower():
        return " · ".join(parts)  # the actor already says it: "SLA started · resolution"
    return f"{label}: " + " · ".join(parts)
