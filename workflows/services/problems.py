"""Every write to a problem: create, link and unlink cases, workaround, one-click send, fix.

Fixing a problem only records the fix and queues the background work
(`workflows.problem_jobs`), which resolves the linked open cases in groups, with set-based
statements (`tickets.services.batch`), and tells each affected customer once.
"""

from __future__ import annotations

from django.db import connection, transaction

from helpdesk import bus, clock
from helpdesk.errors import Conflict, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets.models import Case, CaseEvent, Category, EventKind, Product, State, User, Visibility, is_case_staff, team_ids
from tickets.services.batch import case_resolve_many
from tickets.services.cases import comment_add
from tickets.services.events import case_event_record
from workflows.models import Problem, ProblemLink, ProblemNotification, ProblemStatus, Team
from workflows.services.notifications import notify

SKIP_NOTIFY_STATES = (State.CANCELLED, State.MERGED)


def may_manage_problem(user, problem: Problem) -> bool:
    """Admins, the problem's owner and its department may change its status."""
    if user.is_admin_role:
        return True
    return problem.owner_id == user.pk or (problem.department_id is not None and problem.department_id in team_ids(user))


def problem_create(
    *, title: str, actor: User, summary: str = "", department: Team | None = None, owner: User | None = None,
    product: Product | None = None, category: Category | None = None, keywords: str = "",
) -> Problem:
    """Record a problem under investigation; its owner defaults to the person recording it."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("A problem needs a title of at most 200 characters.", fields={"title": ["Required, at most 200 characters."]})
    if not actor.is_staff_member:
        raise NotFound("No such page.")
    now = clock.now()
    return Problem.objects.create(
        title=title, summary=summary or "", department=department, owner=owner or actor, product=product,
        category=category, keywords=(keywords or "")[:500], created_by=actor, created_at=now, updated_at=now,
    )


def problem_link(*, problem: Problem, case: Case, actor: User) -> ProblemLink:
    """Link a case to a problem (idempotent) and record a "problem linked" case event."""
    if not is_case_staff(actor, case):
        raise NotFound("No such case.")
    if problem.state == ProblemStatus.CLOSED:
        raise Conflict("A closed problem takes no more cases.", state=problem.state)
    with transaction.atomic():
        link, created = ProblemLink.objects.get_or_create(problem=problem, case=case,
                                                          defaults={"linked_by": actor, "linked_at": clock.now()})
        if created:
            event = _case_event(case, actor, "linked", problem)
            bus.publish_on_commit([event.pk])
        return link


def problem_unlink(*, problem: Problem, case: Case, actor: User) -> Problem:
    """Remove the link between a case and a problem, with an "unlinked" case event."""
    if not is_case_staff(actor, case):
        raise NotFound("No such case.")
    with transaction.atomic():
        deleted, _ = ProblemLink.objects.filter(problem=problem, case=case).delete()
        if deleted:
            bus.publish_on_commit([_case_event(case, actor, "unlinked", problem).pk])
        return problem


def problem_workaround_set(*, problem: Problem, workaround: str, actor: User) -> Problem:
    """Record the customer-facing workaround; the problem becomes a known error."""
    with transaction.atomic():
        problem = _lock(problem)
        if not may_manage_problem(actor, problem):
            raise NotFound("No such problem.")
        problem.workaround = (workaround or "").strip()
        if not problem.workaround:
            raise InvalidInput("Describe the workaround.", fields={"workaround": ["This field is required."]})
        if problem.state not in (ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR):
            raise Conflict(f"A {problem.get_state_display().lower()} problem needs no workaround.", state=problem.state)
        problem.record_workaround()
        problem.updated_at = clock.now()
        problem.save()
        return problem


def problem_workaround_send(*, problem: Problem, case: Case, actor: User):
    """Send the known workaround to the case's customer as a public reply, in one click."""
    if problem.state != ProblemStatus.KNOWN_ERROR or not problem.workaround:
        raise Conflict("This problem has no workaround to send.", state=problem.state)
    with transaction.atomic():
        link = ProblemLink.objects.select_for_update().filter(problem=problem, case=case).first()
        if link is None:
            raise NotFound("That case is not linked to this problem.")
        comment = comment_add(case=case, author=actor, public=True,
                              body=f"While we work on a fix, this should help:\n\n{problem.workaround}")
        link.workaround_sent_at = clock.now()
        link.save(update_fields=["workaround_sent_at"])
        bus.publish_on_commit([_case_event(case, actor, "workaround", problem).pk])
        return comment


def problem_fix(*, problem: Problem, resolution: str, actor: User) -> Problem:
    """Mark the problem fixed and queue the fix of its linked cases; returns at once.

    The background work posts `resolution` as a public reply on every linked open case,
    resolves it, and tells each affected customer exactly once.
    """
    from workflows import problem_jobs

    with transaction.atomic():
        problem = _lock(problem)
        if not may_manage_problem(actor, problem):
            raise NotFound("No such problem.")
        problem.resolution = (resolution or problem.resolution or "").strip()
        if not problem.resolution:
            raise InvalidInput("Describe the fix for customers.", fields={"resolution": ["This field is required."]})
        if problem.state not in (ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR):
            raise Conflict(f"The problem is already {problem.get_state_display().lower()}.", state=problem.state)
        problem.fix()
        now = clock.now()
        problem.fixed_at, problem.fixed_by, problem.updated_at = now, actor, now
        problem.save()
        pk = problem.pk
        transaction.on_commit(lambda: problem_jobs.problem_fix_dispatch.delay(pk))
        return problem


def problem_fix_cases(*, problem: Problem, case_ids: list[int]) -> int:
    """Bring the fix to a group of linked cases in one transaction; return how many links were applied.

    The links not yet applied are locked (case order), then their cases: every open
    case gets the resolution as a public reply by whoever fixed the problem and is
    resolved (triaged first when new), with a "problem fixed" event, through
    `tickets.services.batch.case_resolve_many` (set-based statements, one publication).
    Each requester is told unless a ProblemNotification row says someone already told
    them; the links are marked applied. Running it again changes nothing.
    """
    with transaction.atomic():
        links = list(ProblemLink.objects.select_for_update().filter(
            problem=problem, case_id__in=case_ids, fix_applied_at__isnull=True).order_by("case_id")
            .values_list("pk", "case_id"))
        if not links:
            return 0
        author = problem.fixed_by
        done = case_resolve_many(
            cases=[case_id for _, case_id in links], reply=problem.resolution, author=author,
            actor=Actor.system(f"{problem.reference} fixed by {author}"), reason=f"{problem.reference} is fixed.",
            follow_up=_event_args(author, "fixed", problem),
        )
        told = [case for case in done.cases if case.state not in SKIP_NOTIFY_STATES]
        for case in _first_notices(problem, told):
            notify(recipients=[case.requester], kind="problem_fixed", title=f"Fixed: {problem.title}",
                   body=problem.resolution, case=case, url=f"/portal/cases/{case.reference}/",
                   data={"problem": problem.pk})
        ProblemLink.objects.filter(pk__in=[pk for pk, _ in links]).update(fix_applied_at=clock.now())
        return len(links)


def problem_fix_finish(*, problem: Problem) -> Problem:
    """Stamp the fix complete once no linked case waits for it (idempotent)."""
    if not ProblemLink.objects.filter(problem=problem, fix_applied_at__isnull=True).exists():
        Problem.objects.filter(pk=problem.pk, fix_completed_at__isnull=True).update(fix_completed_at=clock.now())
        problem.refresh_from_db(fields=["fix_completed_at"])
    return problem


def problem_close(*, problem: Problem, actor: User) -> Problem:
    """Close a fixed problem."""
    with transaction.atomic():
        problem = _lock(problem)
        if not may_manage_problem(actor, problem):
            raise NotFound("No such problem.")
        if problem.state != ProblemStatus.FIXED:
            raise Conflict("Only a fixed problem can be closed.", state=problem.state)
        problem.close()
        problem.updated_at = clock.now()
        problem.save()
        return problem


def _first_notices(problem: Problem, cases: list[Case]) -> list[Case]:
    """Record that each case's requester was told; return one case per customer not told before.

    INSERT ... ON CONFLICT DO NOTHING RETURNING answers race-free: concurrent batches
    and redelivered tasks never tell a customer twice.
    """
    first: dict[int, Case] = {}
    for case in cases:
        first.setdefault(case.requester_id, case)
    if not first:
        return []
    # In customer order: two groups that share customers then wait for each other's rows
    # in the same order instead of deadlocking.
    first = dict(sorted(first.items()))
    table = ProblemNotification._meta.db_table
    now = clock.now()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(first))
    params = [v for customer, case in first.items() for v in (problem.pk, customer, case.pk, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (problem_id, customer_id, case_id, notified_at) VALUES {rows} "
            "ON CONFLICT (problem_id, customer_id) DO NOTHING RETURNING customer_id",
            params,
        )
        new = {row[0] for row in cursor.fetchall()}
    return [case for customer, case in first.items() if customer in new]


def _lock(problem: Problem) -> Problem:
    try:
        return Problem.objects.select_for_update().get(pk=problem.pk)
    except Problem.DoesNotExist:
        raise NotFound("No such problem.") from None


def _case_event(case: Case, actor, kind: str, problem: Problem) -> CaseEvent:
    return case_event_record(case=case, **_event_args(actor, kind, problem))


def _event_args(actor, kind: str, problem: Problem) -> dict:
    """Return the arguments (all but the case) of the case event saying what happened with `problem`."""
    return {
        "kind": EventKind.PROBLEM, "actor": Actor.of(actor), "visibility": Visibility.INTERNAL,
        "data": {"type": kind, "problem": problem.pk, "reference": problem.reference, "title": problem.title,
                 "status": problem.state},
    }
