"""The beat sweep: fire warnings and breaches of the clocks that are due, each exactly once.

Only rows with `next_check_at <= now` are read (a partial index), in batches. A batch
claims its clocks, then their cases, with `FOR UPDATE SKIP LOCKED`: rows another sweep
holds are left to it, and a case an agent is changing is skipped rather than waited for
(the case services lock the case, then its clocks; skipping means the opposite order of
the sweep can never deadlock). The `fired` counter is read under the lock and advanced
in the same transaction as the events written. A second worker, a doubled beat or a retried task therefore finds nothing
left to do; after an outage the missed checkpoints fire once each, marked late.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction

from helpdesk import bus
from helpdesk import clock as wall
from helpdesk.errors import DomainError
from helpdesk.eventlog import Actor
from sla.models import Clock, ClockState
from sla.selectors.calendars import business_calendar
from sla.services.clocks import checkpoint_at, event_entry, late_after_seconds, schedule
from tickets.models import Case
from tickets.services.events import case_events_record_many
from workflows.models import MembershipRole

log = logging.getLogger(__name__)


def _for_update(qs):
    return qs.select_for_update(skip_locked=True, of=("self",)) if connection.features.has_select_for_update_skip_locked else qs.select_for_update()


def clocks_sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 1000) -> int:
    """Fire every checkpoint that is due; return how many fired (warnings and breaches).

    Safe to run concurrently and repeatedly: each checkpoint of a clock fires once.
    """
    now = now or wall.now()
    total = 0
    for _ in range(max_batches):
        fired, claimed, handled = _sweep_batch(now, batch_size)
        total += fired
        if claimed < batch_size or handled == 0:
            break
    return total


def _sweep_batch(now: datetime, batch_size: int) -> tuple[int, int, int]:
    """Claim up to `batch_size` due clocks no one else holds and fire them; return (fired, claimed, handled)."""
    with transaction.atomic():
        clocks = list(
            _for_update(Clock.objects.filter(next_check_at__lte=now).order_by("next_check_at"))
            .select_related("calendar", "policy")[:batch_size]
        )
        if not clocks:
            return 0, 0, 0
        # A case that an agent is changing right now is skipped, not waited for: its clocks
        # stay due and the next sweep takes them (and the change itself may settle them).
        cases = {c.pk: c for c in _for_update(Case.objects.filter(pk__in={c.case_id for c in clocks}))}
        entries: list[dict] = []
        fired = 0
        dirty: list[Clock] = []
        actions: dict[int, tuple[Case, Clock]] = {}
        for clock in clocks:
            case = cases.get(clock.case_id)
            if case is None:
                continue
            n, found, breached = _fire_due(case, clock, now)
            fired += n
            entries += found
            dirty.append(clock)
            if breached:
                # Two targets breached in one sweep still escalate the case one tier, not two.
                actions.setdefault(case.pk, (case, clock))
        _save_progress(dirty)
        # One INSERT for the batch's events: a burst of thousands stays within seconds.
        bus.publish_on_commit([e.pk for e in case_events_record_many(entries=entries)])
        for case, clock in actions.values():
            _breach_actions(case, clock)
        return fired, len(clocks), len(dirty)


def _save_progress(clocks: list[Clock]) -> None:
    """Write back what the batch fired, in one statement (Django's bulk_update is slow at 500 rows)."""
    if not clocks:
        return
    if connection.vendor != "postgresql":
        Clock.objects.bulk_update(clocks, ["state", "fired", "next_check_at", "breached_at"])
        return
    rows = ", ".join(["(%s::bigint, %s, %s::int, %s::timestamptz, %s::timestamptz)"] * len(clocks))
    params = [v for c in clocks for v in (c.pk, c.state, c.fired, c.next_check_at, c.breached_at)]
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Clock._meta.db_table} AS k SET state = v.state, fired = v.fired, "
            f"next_check_at = v.next_check_at, breached_at = v.breached_at "
            f"FROM (VALUES {rows}) AS v(id, state, fired, next_check_at, breached_at) WHERE k.id = v.id",
            params,
        )


def _fire_due(case: Case, clock: Clock, now: datetime) -> tuple[int, list[dict], bool]:
    """Fire the clock's checkpoints whose instant has passed; return (count, events to write, breached)."""
    if clock.state != ClockState.RUNNING:
        clock.next_check_at = None
        return 0, [], False
    bc = business_calendar(clock.calendar, year=now.year)
    late_after = late_after_seconds()
    entries, n, breached = [], 0, False
    while clock.fired < len(clock.checkpoints):
        at = checkpoint_at(clock, bc, clock.fired)
        if at > now:
            break
        pct = clock.checkpoints[clock.fired]
        clock.fired += 1
        late = (now - at).total_seconds() > late_after
        if pct >= 100:
            clock.state, clock.breached_at, breached = ClockState.BREACHED, at, True
            entries.append(event_entry(case, clock, "breach", late=late, due_at=at.isoformat()))
        else:
            entries.append(event_entry(case, clock, "warning", late=late, threshold=pct, at=at.isoformat()))
            _notify_warning(case, clock, pct)
        n += 1
    schedule(clock, bc)
    return n, entries, breached


def _team_people(case: Case, roles) -> list:
    if case.team_id is None:
        return []
    from tickets.models import User

    people = list(User.objects.filter(memberships__team_id=case.team_id, memberships__role__in=roles, is_active=True))
    if MembershipRole.LEAD in roles and case.team.lead_id:
        people.append(case.team.lead)
    return people


def _notify_warning(case: Case, clock: Clock, pct: int) -> None:
    recipients = [case.assignee] if case.assignee_id else []
    recipients += _team_people(case, [MembershipRole.LEAD])
    if not recipients:
        return
    from workflows.services.notifications import notify

    notify(recipients=recipients, kind="sla_warning", case=case,
           title=f"{clock.get_kind_display()} SLA at {pct}%",
           body=f"{case.reference} is due at {clock.due_at:%Y-%m-%d %H:%M} UTC.",
           data={"clock": clock.pk, "threshold": pct})


def _breach_actions(case: Case, clock: Clock) -> None:
    """Run the policy's breach actions: notify the manager, escalate, reassign.

    Each runs through the case services as the SLA actor (which publish their own
    events), in its own savepoint: one that is refused (the agent left the team) or
    fails is rolled back and logged, and the breach and the other clocks still commit.
    """
    from tickets.services.cases import case_transition

    policy = clock.policy
    if policy is None:
        return
    actor = Actor.sla(f"SLA breach: {clock.get_kind_display()}")
    if policy.breach_notify_manager:
        from workflows.services.notifications import notify

        managers = _team_people(case, [MembershipRole.MANAGER, MembershipRole.LEAD])
        notify(recipients=managers, kind="sla_breach", case=case,
               title=f"{clock.get_kind_display()} SLA breached",
               body=f"{case.reference} missed its {clock.get_kind_display().lower()} target.",
               data={"clock": clock.pk})
    if policy.breach_escalate:
        try:
            with transaction.atomic():
                case_transition(case=case.pk, name="escalate", actor=actor,
                                reason=f"{clock.get_kind_display()} SLA breached.")
        except DomainError as exc:
            log.info("breach escalation of case %s refused: %s", case.pk, exc)
        except Exception:  # a failing escalation path must not stop the sweep: the breach is recorded
            log.exception("breach escalation of case %s failed", case.pk)
    if policy.breach_reassign_team_id or policy.breach_reassign_user_id:
        _reassign(case, policy, actor)


def _reassign(case: Case, policy, actor) -> None:
    from sla.selectors.shifts import off_shift_user_ids
    from tickets.services.cases import case_assign
    from workflows.services.assignment import assignee_pick

    fresh = Case.objects.select_related("team").get(pk=case.pk)
    team = policy.breach_reassign_team or fresh.team
    assignee = policy.breach_reassign_user
    if assignee is None and team is not None:
        skip = off_shift_user_ids(team=team, at=wall.now()) | ({fresh.assignee_id} if fresh.assignee_id else set())
        assignee = assignee_pick(team=team, case=fresh, exclude_user_ids=skip)
    try:
        with transaction.atomic():
            case_assign(case=fresh.pk, assignee=assignee, team=team, actor=actor, reason="SLA breached: reassigned.")
    except DomainError as exc:
        log.info("breach reassignment of case %s refused: %s", case.pk, exc)
    except Exception:  # as above: the breach stays recorded, the other clocks still fire
        log.exception("breach reassignment of case %s failed", case.pk)
