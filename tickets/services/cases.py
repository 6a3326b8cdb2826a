"""Every write to a case: create, transition, assign, edit, comment.

Each service runs in one transaction that (1) locks the case row and applies the change,
(2) appends events, (3) lets routing and the SLA engine react, and (4) registers the
side effects on commit. A refused change raises a `helpdesk.errors.DomainError` and
leaves nothing behind.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django_fsm import can_proceed

from helpdesk import bus, clock
from helpdesk.errors import Conflict, DomainError, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets.models import (
    OPEN_STATES,
    TRANSITION_LABELS,
    Case,
    CaseEvent,
    Category,
    Channel,
    Comment,
    EventKind,
    Organization,
    Priority,
    Product,
    State,
    Tag,
    User,
    Visibility,
    is_case_staff,
    is_requester_side,
)
from tickets.services import integrations
from tickets.services.attachments import attachments_store, attachments_validate
from tickets.services.events import case_event_record


class TransitionRefused(Conflict):
    """The transition is not allowed from the case's current state (or lost a race)."""

    code = "transition_not_allowed"


class Forbidden(DomainError):
    """The caller may see the case but not make this change."""

    status_code = 403
    code = "permission_denied"


class TransitionForbidden(Forbidden):
    """The caller's role does not allow this transition on this case."""


# Transitions that need more than a name: they go through their own services.
PARAMETERISED = {"assign", "unassign", "merge"}

EDITABLE_FIELDS = ("subject", "description", "priority", "category", "product", "organization", "tags", "custom_fields")
MAX_CUSTOM_FIELDS = 50
# Custom fields that hold an object rather than a plain value.
STRUCTURED_CUSTOM_FIELDS = frozenset({"form"})
MAX_TAGS = 20


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        return Case.objects.select_for_update().get(pk=pk)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def _touch(case: Case) -> None:
    case.version += 1
    case.updated_at = clock.now()


def _check_expected(case: Case, expected_state: str | None, expected_version: int | None, actor: Actor) -> None:
    if expected_state and case.state != expected_state:
        raise Conflict(
            f"The case is now {case.get_state_display().lower()}; someone changed it first.",
            state=case.state, version=case.version, allowed_transitions=_allowed(case, actor),
        )
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            "The case changed since you loaded it.",
            state=case.state, version=case.version, allowed_transitions=_allowed(case, actor),
        )


def _allowed(case: Case, actor: Actor) -> list[str]:
    return transitions_for(case, actor.user) if actor.is_user else []


def _permitted(case: Case, name: str, user) -> bool:
    """Tell whether the transition's permission lets `user` ask for it, whatever the state.

    django-fsm's own check also fails when the state is wrong, which would turn "not now"
    (409) into "not you" (403) for requesters closing or reopening their own cases.
    """
    meta = getattr(case, name)._django_fsm
    transition = meta.get_transition(case.state) or next(iter(meta.transitions.values()))
    return transition.has_perm(case, user)


def _finish(case: Case, events: list[CaseEvent], *, reacted: bool = True) -> Case:
    """Let the SLA engine react to the new events, then publish all of them on commit."""
    if reacted:
        events = events + integrations.sla_case_changed(case=case, events=events)
    bus.publish_on_commit([e.pk for e in events])
    return case


def _text(value: str, field: str, *, max_chars: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required.", fields={field: ["This field is required."]})
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is too long.", fields={field: [f"At most {max_chars} characters."]})
    return value


def case_create(
    *,
    requester: User,
    subject: str,
    description: str = "",
    actor: Actor | User | None = None,
    channel: str = Channel.WEB,
    priority: str | None = None,
    product: Product | None = None,
    category: Category | None = None,
    organization: Organization | None = None,
    team=None,
    tags: list[str] | tuple[str, ...] = (),
    custom_fields: dict[str, Any] | None = None,
    attachments=(),
) -> Case:
    """Create a case with its `created` event, route it, start its clocks, publish on commit.

    The requester's organization is used when none is given. Attachments are checked
    before anything is written.
    """
    actor = Actor.of(actor if actor is not None else requester)
    subject = _text(subject, "subject", max_chars=200, required=True)
    description = _text(description, "description", max_chars=100_000, required=False)
    if priority is not None and priority not in Priority.values:
        raise InvalidInput("Unknown priority.", fields={"priority": [f"Choose one of {', '.join(Priority.values)}."]})
    if channel not in Channel.values:
        raise InvalidInput("Unknown channel.", fields={"channel": [f"Choose one of {', '.join(Channel.values)}."]})
    custom_fields = _custom_fields(custom_fields)
    tag_names = _tag_names(tags)
    files = attachments_validate(attachments)
    now = clock.now()
    with transaction.atomic():
        case = Case.objects.create(
            subject=subject,
            description=description,
            requester=requester,
            # The id, not `requester.organization`: no query to load a row only its id is needed from.
            organization_id=organization.pk if organization is not None else requester.organization_id,
            product=product,
            category=category,
            priority=priority or Priority.P3,
            channel=channel,
            team=team,
            custom_fields=custom_fields,
            created_at=now,
            updated_at=now,
        )
        if tag_names:
            # add(), not set(): a new case has no tags to compare with, so one INSERT is enough.
            case.tags.add(*_tags(tag_names))
        events = [
            case_event_record(
                case=case, kind=EventKind.CREATED, actor=actor, visibility=Visibility.PUBLIC,
                after={"state": case.state, "subject": case.subject, "priority": case.priority,
                       "channel": case.channel},
            )
        ]
        if files:
            attachments_store(case=case, comment=None, files=files, user=requester)
        # Clocks start from the created event before routing runs: a rule that changes
        # the priority then re-matches running clocks instead of racing their start.
        events += integrations.sla_case_changed(case=case, events=events)
        events += integrations.routing_case_created(case=case, actor=actor)
        return _finish(case, events, reacted=False)


def case_transition(
    *,
    case: Case | int,
    name: str,
    actor: Actor | User,
    reason: str = "",
    expected_state: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Apply the named transition, or raise: 404 unknown name, 403 not permitted, 409 illegal now.

    Timestamps follow the state: resolving stamps `resolved_at`, closing `closed_at`,
    reopening counts the reopen; escalation moves the level and lets routing re-route.
    """
    actor = Actor.of(actor)
    if name not in TRANSITION_LABELS:
        raise NotFound(f"There is no transition called {name!r}.")
    if name in PARAMETERISED:
        raise InvalidInput(f"Use the {name} endpoint; it needs more than a name.", fields={"name": [name]})
    reason = _text(reason, "reason", max_chars=2000, required=False)
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, expected_state, expected_version, actor)
        method = getattr(case, name)
        if actor.is_user and not _permitted(case, name, actor.user):
            raise TransitionForbidden(f"You may not {TRANSITION_LABELS[name].lower()} this case.")
        if not can_proceed(method):
            raise TransitionRefused(
                f"Cannot {TRANSITION_LABELS[name].lower()} a case that is {case.get_state_display().lower()}.",
                state=case.state, version=case.version, allowed_transitions=_allowed(case, actor),
            )
        before = {"state": case.state, "escalation_level": case.escalation_level}
        method()
        now = clock.now()
        if name == "resolve":
            case.resolved_at = now
        elif name == "close":
            case.closed_at = now
        elif name == "reopen":
            case.reopen_count += 1
            case.resolved_at = None
            case.closed_at = None
        elif name == "escalate":
            case.escalation_level += 1
        elif name == "de_escalate":
            case.escalation_level -= 1
        _touch(case)
        case.save()
        events = [
            case_event_record(
                case=case, kind=EventKind.TRANSITION, actor=actor, reason=reason, visibility=Visibility.PUBLIC,
                before=before, after={"state": case.state, "escalation_level": case.escalation_level},
                data={"transition": name},
            )
        ]
        if name in ("escalate", "de_escalate"):
            events += integrations.routing_case_escalated(
                case=case, actor=actor, direction=1 if name == "escalate" else -1, reason=reason
            )
        return _finish(case, events)


def transitions_for(case: Case, user) -> list[str]:
    """Return the names of the transitions `user` may apply to `case` now, in display order."""
    available = {t.name for t in case.get_available_user_state_transitions(user)}
    names = [n for n in TRANSITION_LABELS if n in available and n not in PARAMETERISED]
    if case.state in OPEN_STATES and is_case_staff(user, case):
        names.append("merge")
    return names


def case_assign(
    *,
    case: Case | int,
    assignee: User | None,
    actor: Actor | User,
    team=None,
    reason: str = "",
    expected_version: int | None = None,
    event_kind: str = EventKind.ASSIGNMENT,
    data: dict[str, Any] | None = None,
) -> Case:
    """Give the case to `assignee` (and `team`, when given), or back to the queue with None.

    The assignee must be staff and, when the case has a team, a member of it. A new or
    triaged case becomes assigned; an assigned case without an owner returns to triaged.
    """
    actor = Actor.of(actor)
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, None, expected_version, actor)
        if actor.is_user and not is_case_staff(actor.user, case):
            raise Forbidden("Only the staff working this case can assign it.")
        if not case.is_open:
            raise Conflict(f"A {case.get_state_display().lower()} case cannot be reassigned.", state=case.state)
        target_team = team if team is not None else case.team
        if assignee is not None:
            if not assignee.is_staff_member or not assignee.is_active:
                raise InvalidInput("Only active staff can be assigned.", fields={"assignee": ["Not a staff member."]})
            if target_team is not None and not assignee.memberships.filter(team=target_team).exists():
                raise InvalidInput(
                    f"{assignee} is not a member of {target_team}.",
                    fields={"assignee": [f"Not a member of {target_team}."]},
                )
        if assignee is None and target_team is None and case.assignee_id is None:
            return case
        before = {"assignee": case.assignee_id, "assignee_name": str(case.assignee or ""),
                  "team": case.team_id, "team_name": str(case.team or ""), "state": case.state}
        if before["assignee"] == (assignee.pk if assignee else None) and before["team"] == (
            target_team.pk if target_team else None
        ):
            return case
        case.assignee = assignee
        case.team = target_team
        if assignee is not None and case.state in (State.NEW, State.TRIAGED):
            case.assign()
        elif assignee is None and case.state == State.ASSIGNED:
            case.unassign()
        _touch(case)
        case.save()
        events = [
            case_event_record(
                case=case, kind=event_kind, actor=actor, reason=reason,
                before=before,
                after={"assignee": case.assignee_id, "assignee_name": str(case.assignee or ""),
                       "team": case.team_id, "team_name": str(case.team or ""), "state": case.state},
                data=data,
            )
        ]
        return _finish(case, events)


def case_update(
    *,
    case: Case | int,
    actor: Actor | User,
    changes: dict[str, Any],
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Change classification and details; one `field_change` event per changed field.

    A new category or product re-runs routing; any change lets the SLA engine re-match.
    Unknown fields are refused.
    """
    actor = Actor.of(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["This field cannot be edited."] for f in sorted(unknown)})
    cleaned = dict(changes)
    if "subject" in cleaned:
        cleaned["subject"] = _text(cleaned["subject"], "subject", max_chars=200, required=True)
    if "description" in cleaned:
        cleaned["description"] = _text(cleaned["description"], "description", max_chars=100_000, required=False)
    if "priority" in cleaned and cleaned["priority"] not in Priority.values:
        raise InvalidInput("Unknown priority.", fields={"priority": [f"Choose one of {', '.join(Priority.values)}."]})
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = _custom_fields(cleaned["custom_fields"])
    if "tags" in cleaned:
        cleaned["tags"] = _tag_names(cleaned["tags"])
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, None, expected_version, actor)
        if actor.is_user and not is_case_staff(actor.user, case):
            raise Forbidden("Only the staff working this case can edit it.")
        if case.state in (State.CLOSED, State.CANCELLED, State.MERGED):
            raise Conflict(f"A {case.get_state_display().lower()} case cannot be edited.", state=case.state)
        events = []
        for field, new in cleaned.items():
            if field == "tags":
                old = sorted(case.tags.values_list("name", flat=True))
                if old == sorted(new):
                    continue
                case.tags.set(_tags(new))
                before, after = {"tags": old}, {"tags": sorted(new)}
            else:
                old = getattr(case, field)
                if old == new:
                    continue
                setattr(case, field, new)
                before, after = {field: _plain(old)}, {field: _plain(new)}
            events.append(
                case_event_record(
                    case=case, kind=EventKind.FIELD_CHANGE, actor=actor, reason=reason,
                    before=before, after=after, data={"field": field},
                )
            )
        if not events:
            return case
        _touch(case)
        case.save()
        if {"category", "product"} & {e.data["field"] for e in events}:
            events += integrations.routing_case_reclassified(case=case, actor=actor)
        return _finish(case, events)


def comment_add(
    *,
    case: Case | int,
    author: User,
    body: str,
    public: bool,
    shared: bool = False,
    author_team=None,
    attachments=(),
) -> Comment:
    """Add a public reply or an internal note, with attachments, and react to it.

    Customers can only write public replies on their own side's cases. The first public
    staff reply stamps the first response; a customer reply to a case waiting on them
    resumes it, and one to a resolved case reopens it.
    """
    body = _text(body, "body", max_chars=100_000, required=True)
    files = attachments_validate(attachments)
    with transaction.atomic():
        case = _lock(case)
        staff = is_case_staff(author, case) or (author.is_staff_member and integrations.may_comment_as_department(author, case))
        requester_side = is_requester_side(author, case)
        if not staff and not requester_side:
            raise NotFound("No such case.")
        if not staff:
            public, shared = True, False
        if case.state in (State.CLOSED, State.CANCELLED, State.MERGED):
            raise Conflict(
                f"This case is {case.get_state_display().lower()}; replies are no longer accepted.", state=case.state
            )
        comment = Comment.objects.create(
            case=case, author=author, body=body, is_public=public, shared=bool(shared and not public),
            author_team=author_team, created_at=clock.now(),
        )
        stored = attachments_store(case=case, comment=comment, files=files, user=author) if files else []
        events = [
            case_event_record(
                case=case, kind=EventKind.COMMENT, actor=Actor.of(author), visibility=comment.visibility,
                after={"comment": comment.pk},
                data={
                    "comment_id": comment.pk, "public": public, "from_customer": not staff,
                    "excerpt": body[:280], "attachments": [a.filename for a in stored],
                    "author_team": author_team.pk if author_team else None,
                },
            )
        ]
        if staff and public and case.first_responded_at is None:
            case.first_responded_at = comment.created_at
        if not staff:
            if case.state == State.WAITING_ON_CUSTOMER and can_proceed(case.resume):
                events.append(_auto_transition(case, "resume", author, "The customer replied."))
            elif case.state == State.RESOLVED:
                events.append(_auto_transition(case, "reopen", author, "The customer replied to a resolved case."))
        _touch(case)
        case.save()
        _finish(case, events)
        return comment


def case_merge(*, case: Case | int, into: Case | int, actor: Actor | User, reason: str = "") -> Case:
    """Fold `case` into `into`: the first becomes merged, the second gets a note of it."""
    actor = Actor.of(actor)
    with transaction.atomic():
        into_pk = into.pk if isinstance(into, Case) else into
        case_pk = case.pk if isinstance(case, Case) else case
        if into_pk == case_pk:
            raise InvalidInput("A case cannot be merged into itself.", fields={"into": ["Choose another case."]})
        # Lock both rows in id order so two opposite merges cannot deadlock.
        locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[case_pk, into_pk]).order_by("pk")}
        if case_pk not in locked:
            raise NotFound("No such case.")
        source = locked[case_pk]
        target = locked.get(into_pk)
        if actor.is_user and not is_case_staff(actor.user, source):
            raise Forbidden("Only the staff working this case can merge it.")
        if target is None or (actor.is_user and not is_case_staff(actor.user, target)):
            raise InvalidInput("The case to merge into does not exist.", fields={"into": ["No such case."]})
        if not target.is_open or not source.is_open:
            raise TransitionRefused(
                "Only open cases can be merged.", state=source.state, version=source.version,
                allowed_transitions=_allowed(source, actor),
            )
        source.merged_into = target
        before = {"state": source.state}
        source.merge()
        _touch(source)
        source.save()
        _touch(target)
        target.save()
        events = [
            case_event_record(case=source, kind=EventKind.MERGE, actor=actor, reason=reason,
                              visibility=Visibility.PUBLIC, before=before,
                              after={"state": source.state, "merged_into": target.reference},
                              data={"transition": "merge", "into": target.pk}),
            case_event_record(case=target, kind=EventKind.MERGE, actor=actor, reason=reason,
                              after={"merged_from": source.reference}, data={"from": source.pk}),
        ]
        events += integrations.sla_case_changed(case=target, events=events[1:])
        return _finish(source, events)


def _auto_transition(case: Case, name: str, author: User, reason: str) -> CaseEvent:
    before = {"state": case.state, "escalation_level": case.escalation_level}
    getattr(case, name)()
    if name == "reopen":
        case.reopen_count += 1
        case.resolved_at = None
    return case_event_record(
        case=case, kind=EventKind.TRANSITION, actor=Actor.of(author), reason=reason, visibility=Visibility.PUBLIC,
        before=before, after={"state": case.state, "escalation_level": case.escalation_level},
        data={"transition": name, "automatic": True},
    )


def _plain(value):
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return value


def _custom_fields(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("Custom fields must be an object.", fields={"custom_fields": ["Expected an object."]})
    if len(value) > MAX_CUSTOM_FIELDS:
        raise InvalidInput("Too many custom fields.", fields={"custom_fields": [f"At most {MAX_CUSTOM_FIELDS}."]})
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InvalidInput("Bad custom field name.", fields={"custom_fields": [f"Bad name: {key!r}."]})
        if key in STRUCTURED_CUSTOM_FIELDS and isinstance(item, dict):
            # A request form's answers keep their shape (workflows.services.forms), bounded in size.
            if len(json.dumps(item, default=str)) > 20_000:
                raise InvalidInput("Bad custom field value.", fields={"custom_fields": [f"Bad value for {key}."]})
        elif not isinstance(item, (str, int, float, bool, type(None), list)) or len(str(item)) > 2000:
            raise InvalidInput("Bad custom field value.", fields={"custom_fields": [f"Bad value for {key}."]})
    return value


def _tag_names(tags) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise InvalidInput("Tags must be a list.", fields={"tags": ["Expected a list of names."]})
    names = sorted({str(t).strip().lower() for t in tags if str(t).strip()})
    if len(names) > MAX_TAGS or any(len(n) > 50 for n in names):
        raise InvalidInput("Too many or too long tags.", fields={"tags": [f"At most {MAX_TAGS} tags of 50 characters."]})
    return names


def _tags(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return list(existing.values())
