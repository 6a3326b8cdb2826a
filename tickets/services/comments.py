"""Public replies and internal notes, and what a customer's reply does to the case."""

from __future__ import annotations

from django.db import transaction
from django_fsm import can_proceed

from helpdesk import clock
from helpdesk.errors import Conflict, NotFound
from helpdesk.eventlog import Actor
from tickets.models import (
    Case,
    CaseEvent,
    Comment,
    EventKind,
    State,
    User,
    Visibility,
    is_case_staff,
    is_requester_side,
)
from tickets.services import integrations
from tickets.services.attachments import attachments_store, attachments_validate
from tickets.services.events import case_event_record
from tickets.services.spine import (
    _finish,
    _lock,
    _text,
    _touch,
)


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
