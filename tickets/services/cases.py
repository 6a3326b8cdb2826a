"""Every write to a case: create, transition, assign, edit, comment.

Each service runs in one transaction that (1) locks the case row and applies the change,
(2) appends events, (3) lets routing and the SLA engine react, and (4) registers the
side effects on commit. A refused change raises a `helpdesk.errors.DomainError` and
leaves nothing behind.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.db import transaction
from django_fsm import can_proceed

from helpdesk import clock
from helpdesk.errors import Conflict, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from helpdesk.inserts import insert_new_after, one_statement
from tickets.models import (
    TRANSITION_LABELS,
    Case,
    Category,
    Channel,
    EventKind,
    Organization,
    Priority,
    Product,
    User,
    Visibility,
    is_case_staff,
)
from tickets.services import integrations
from tickets.services.attachments import attachments_store, attachments_validate
from tickets.services.comments import comment_add
from tickets.services.details import (
    _custom_fields,
    _tag_names,
    case_insert,
    case_insert_done,
    case_insert_head,
    case_update,
)
from tickets.services.events import case_event_record
from tickets.services.spine import (
    PARAMETERISED,
    Forbidden,
    TransitionForbidden,
    TransitionRefused,
    _allowed,
    _check_expected,
    _finish,
    _hand_to,
    _lock,
    _ownership,
    _permitted,
    _text,
    _touch,
    transitions_for,
)

__all__ = [
    "PARAMETERISED", "Forbidden", "TransitionForbidden", "TransitionRefused", "case_assign", "case_create",
    "case_merge", "case_transition", "case_update", "comment_add", "transitions_for",
]


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

    When routing would leave the new case as it is (decided before anything is written)
    and it has no attachments, the case with its tags, its clocks and all its events go
    to PostgreSQL as one prepared statement (`helpdesk.inserts.insert_new_after`):
    outside a caller's transaction PostgreSQL runs it as one implicit transaction,
    written whole or not at all, without the round trips of BEGIN and COMMIT. Otherwise
    the case is written first, then routing places it, then its clocks start, in one
    transaction.
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
    if organization is None and requester.organization_id is not None and User.organization.is_cached(requester):
        # Loaded with the requester (API authentication joins it in): routing and the SLA
        # policy read it without a query.
        organization = requester.organization
    case = Case(
        subject=subject,
        description=description,
        requester=requester,
        # Else the id: no query to load a row only its id is needed from.
        **({"organization": organization} if organization is not None
           else {"organization_id": requester.organization_id}),
        product=product,
        category=category,
        priority=priority or Priority.P3,
        channel=channel,
        team=team,
        custom_fields=custom_fields,
        created_at=now,
        updated_at=now,
    )
    created = {
        "case": case, "kind": EventKind.CREATED, "actor": actor, "visibility": Visibility.PUBLIC,
        "after": {"state": case.state, "subject": case.subject, "priority": case.priority, "channel": case.channel},
    }
    # Routing decides before anything is written (no locks): the case is written accordingly.
    routing = integrations.routing_new_case(case=case, tags=tag_names)
    if routing is None and not files and one_statement():
        # The clocks start at the priority and for the team the case was raised with.
        rows = integrations.sla_new_case_rows(case=case, lead=[created])
        # Inside a caller's transaction, a savepoint as `atomic` gives: a failure leaves it usable.
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            written = insert_new_after(case, case_insert_head(case, tag_names), rows.clocks, rows.events,
                                       wrap=rows.wrap)
            case_insert_done(case, tag_names, written)  # its tags: the answer renders them without a query
            return _finish(case, rows.written(), reacted=False)
    with transaction.atomic():
        case_insert(case, tag_names)  # with its tags: the answer renders them without a query
        if files:
            attachments_store(case=case, comment=None, files=files, user=requester)
        # Routing places the case first, then its clocks start once, at the priority and
        # for the team routing chose, from the creation instant: nothing to re-match.
        # The `created` event goes first into the first INSERT of events that follows:
        # routing's when routing writes, else the clocks'.
        events = integrations.routing_case_created(case=case, actor=actor, lead=[created], plan=routing)
        events += integrations.sla_case_created(case=case, lead=[] if events else [created])
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
        before = _ownership(case)
        if before["assignee"] == (assignee.pk if assignee else None) and before["team"] == (
            target_team.pk if target_team else None
        ):
            return case
        _hand_to(case, assignee, target_team)
        _touch(case)
        case.save()
        events = [
            case_event_record(case=case, kind=event_kind, actor=actor, reason=reason, before=before,
                              after=_ownership(case), data=data)
        ]
        return _finish(case, events)


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
