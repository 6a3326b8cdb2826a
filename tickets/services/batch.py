"""Changes applied to many cases at once with set-based statements, for background jobs.

People's changes go through the single-case services (`tickets.services.cases`), one
transaction and a few dozen statements per case. A job that changes thousands of cases
the same way (a fixed problem resolving its linked cases) uses the functions here: the
same rows, events and clock reactions per case as the single-case services, written with
one statement per kind of row for the whole batch and published once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django_fsm import can_proceed

from helpdesk import bus, clock
from helpdesk.eventlog import Actor
from tickets.models import Case, CaseEvent, Comment, EventKind, State, User, Visibility
from tickets.services import integrations
from tickets.services.events import case_events_record_many
from tickets.services.spine import _text


@dataclass
class ResolvedCases:
    """What `case_resolve_many` did: every case it locked (id order), those it resolved, the events."""

    cases: list[Case] = field(default_factory=list)
    resolved: list[Case] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)


def case_resolve_many(
    *,
    cases: list[int],
    reply: str,
    author: User,
    actor: Actor,
    reason: str = "",
    follow_up: dict[str, Any] | None = None,
) -> ResolvedCases:
    """Post `reply` as a public reply by `author` on each open case of `cases` and resolve it.

    Each case ends as if `comment_add` (a public staff reply) and then `case_transition`
    (`triage` when new, then `resolve`, by `actor` with `reason`) had run on it: the reply
    and its comment event, the transition events, the first response stamped when unset,
    `resolved_at`, the SLA clocks met with their events. The version moves by one. Cases
    that are not open, or that the state machine would not let resolve, are locked and
    left unchanged. `follow_up`, when given, holds the arguments of `case_event_record`
    except `case` for one more event recorded after each resolved case's own.

    The caller vouches that `author` may answer these cases (for a problem fix, whoever
    fixed the problem). Everything happens in one transaction: cases locked in id order,
    then one insert for the replies, one for all the events, one update for the cases
    and one for the clocks; the events are published once on commit.
    """
    reply = _text(reply, "body", max_chars=100_000, required=True)
    with transaction.atomic():
        locked = list(Case.objects.select_for_update(of=("self",)).select_related("requester", "team")
                      .filter(pk__in=list(cases)).order_by("pk"))
        done = ResolvedCases(cases=locked)
        before: dict[int, str] = {}
        for case in locked:
            if not case.is_open or not _may_resolve(case):
                continue
            before[case.pk] = case.state
            if case.state == State.NEW:
                case.triage()
            case.resolve()
            done.resolved.append(case)
        if not done.resolved:
            return done
        now = clock.now()
        comments = Comment.objects.bulk_create(
            [Comment(case=case, author=author, body=reply, is_public=True, created_at=now) for case in done.resolved]
        )
        clock_entries = integrations.sla_cases_resolved(cases=done.resolved, replied=True)
        author_actor = Actor.of(author)
        entries: list[dict[str, Any]] = []
        for case, comment in zip(done.resolved, comments, strict=True):
            after_reply, after_resolve = clock_entries.get(case.pk, ([], []))
            entries.append({
                "case": case, "kind": EventKind.COMMENT, "actor": author_actor, "visibility": Visibility.PUBLIC,
                "after": {"comment": comment.pk},
                "data": {"comment_id": comment.pk, "public": True, "from_customer": False, "excerpt": reply[:280],
                         "attachments": [], "author_team": None},
            })
            entries += after_reply
            state = before[case.pk]
            if state == State.NEW:
                entries.append(_transition_entry(case, "triage", State.NEW, State.TRIAGED, actor, reason))
                state = State.TRIAGED
            entries.append(_transition_entry(case, "resolve", state, State.RESOLVED, actor, reason))
            entries += after_resolve
            if follow_up is not None:
                entries.append({**follow_up, "case": case})
        done.events = case_events_record_many(entries=entries)
        # The state field is protected: the transitions above ran in memory, with the
        # model's own sources and conditions; one statement stores their outcome.
        Case.objects.filter(pk__in=[case.pk for case in done.resolved]).update(
            state=State.RESOLVED, resolved_at=now, updated_at=now, version=F("version") + 1,
            first_responded_at=Coalesce(F("first_responded_at"), Value(now, output_field=DateTimeField())),
        )
        for case in done.resolved:
            case.resolved_at, case.updated_at, case.version = now, now, case.version + 1
            case.first_responded_at = case.first_responded_at or now
        bus.publish_on_commit([event.pk for event in done.events])
        return done


def _may_resolve(case: Case) -> bool:
    """Tell whether the state machine lets the case resolve now, through triage when it is new."""
    if case.state != State.NEW:
        return can_proceed(case.resolve)
    resolve = case.resolve._django_fsm
    return can_proceed(case.triage) and resolve.has_transition(State.TRIAGED) and resolve.conditions_met(case, State.TRIAGED)


def _transition_entry(case: Case, name: str, source: str, target: str, actor: Actor, reason: str) -> dict[str, Any]:
    level = case.escalation_level
    return {
        "case": case, "kind": EventKind.TRANSITION, "actor": actor, "reason": reason, "visibility": Visibility.PUBLIC,
        "before": {"state": source, "escalation_level": level}, "after": {"state": target, "escalation_level": level},
        "data": {"transition": name},
    }
