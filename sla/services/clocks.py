"""SLA clocks of a case: started, paused, resumed, met, cancelled and re-matched as the case changes.

`clocks_react` runs inside every case change's transaction (the case row is already
locked by the caller), so a clock never disagrees with the case it measures.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from helpdesk import clock as wall
from helpdesk.eventlog import Actor
from helpdesk.inserts import insert_new, insert_new_together, sends_several, written_rows
from sla.business_time import BusinessCalendar, add_business_seconds, business_seconds_between
from sla.models import Clock, ClockState, Policy, Target, TargetKind
from sla.selectors.calendars import business_calendar
from sla.services.policies import policy_for
from tickets.models import TERMINAL_STATES, CaseEvent, EventKind, State
from tickets.services.events import case_event_record, case_events_build

REMATCH_FIELDS = {"priority", "product", "organization"}
SLA_ACTOR = Actor.sla("SLA")


def clocks_react(*, case, events) -> list[CaseEvent]:
    """Update the case's clocks after `events`; return the SLA events written.

    (A new case's clocks start in `clocks_start_new_case`, once routing has placed it.)
    A public staff reply meets the response clocks; a customer reply starts the next-response clock; pausing states
    pause the resolution clock and leaving them resumes it, pushing the due time out by
    the business time paused; resolving meets it, reopening resumes it; closing,
    cancelling or merging cancels what still runs; a priority, product or organization
    change re-matches the policy and recomputes due times from the original start.
    A case no policy matches has no clocks.
    """
    now = wall.now()
    written: list[CaseEvent] = []
    clocks = {c.kind: c for c in Clock.objects.select_for_update(of=("self",)).filter(case=case).select_related("calendar", "policy")}
    fields = {e.data.get("field") for e in events if e.kind == EventKind.FIELD_CHANGE}
    if fields & REMATCH_FIELDS:
        written += _rematch(case, clocks, now, reason=", ".join(sorted(fields & REMATCH_FIELDS)))
    for event in events:
        if event.kind != EventKind.COMMENT or not event.data.get("public"):
            continue
        if event.data.get("from_customer"):
            written += _customer_replied(case, clocks, now)
        else:
            for kind in (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE):
                if kind in clocks:
                    written += _meet(case, clocks[kind], now)
    reopened = any(e.kind == EventKind.TRANSITION and e.data.get("transition") == "reopen" for e in events)
    return written + _follow_state(case, now, reopened=reopened, clocks=clocks)


# --- pieces ---------------------------------------------------------------------------

def event_entry(case, clock: Clock, kind: str, *, reason: str = "", late: bool = False, **extra) -> dict:
    """Return the arguments of the SLA event saying that `clock` did `kind` (started, warning ...)."""
    data = {"type": kind, "target": clock.kind, "clock": clock.pk, "late": late,
            "policy": clock.policy_id, "priority": clock.priority, "cycle": clock.cycle}
    data.update(extra)
    return {"case": case, "kind": EventKind.SLA, "actor": SLA_ACTOR, "reason": reason, "data": data,
            "after": {"state": clock.state, "due_at": clock.due_at.isoformat() if clock.due_at else None}}


def _record(case, clock: Clock, kind: str, **kwargs) -> CaseEvent:
    return case_event_record(**event_entry(case, clock, kind, **kwargs))


def _target(policy: Policy, priority: str, kind: str) -> Target | None:
    by_key = getattr(policy, "targets_by_key", None)  # set on the process's copy of the active policies
    if by_key is not None:
        return by_key.get((priority, kind))
    return next((t for t in policy.targets.all() if t.priority == priority and t.kind == kind), None)


def _calendar(clock: Clock, now: datetime) -> BusinessCalendar:
    return business_calendar(clock.calendar, year=now.year)


def checkpoint_at(clock: Clock, bc: BusinessCalendar, index: int) -> datetime:
    """Return the instant checkpoint `index` (a percentage of the target) is reached."""
    pct = clock.checkpoints[index]
    if pct >= 100:
        return clock.due_at
    return add_business_seconds(bc, clock.started_at, clock.target_seconds * pct / 100 + clock.paused_seconds)


def schedule(clock: Clock, bc: BusinessCalendar) -> None:
    """Set `next_check_at` to the next checkpoint of a running clock (None otherwise)."""
    if clock.state != ClockState.RUNNING or clock.fired >= len(clock.checkpoints):
        clock.next_check_at = None
    else:
        clock.next_check_at = checkpoint_at(clock, bc, clock.fired)


def _checkpoints(policy: Policy | None) -> list[int]:
    thresholds = sorted(policy.warning_thresholds) if policy is not None else []
    return [*thresholds, 100]


def _arm(case, clock: Clock, target: Target, policy: Policy, started_at: datetime, now: datetime) -> Clock:
    """Set `clock` running against `target` from `started_at`, with its due time and next check (not saved)."""
    clock.policy, clock.calendar, clock.priority = policy, target.calendar, case.priority
    clock.state, clock.target_seconds, clock.started_at = ClockState.RUNNING, target.minutes * 60, started_at
    clock.paused_at, clock.paused_seconds, clock.met_at, clock.breached_at = None, 0, None, None
    clock.checkpoints, clock.fired = _checkpoints(policy), 0
    bc = _calendar(clock, now)
    clock.due_at = add_business_seconds(bc, started_at, clock.target_seconds)
    schedule(clock, bc)
    return clock


def _start(case, clock: Clock | None, kind: str, target: Target, policy: Policy, started_at: datetime,
           now: datetime, *, reason: str = "") -> list[CaseEvent]:
    """Create the clock, or restart the existing row for a new cycle (next response)."""
    if clock is None:
        clock = Clock(case=case, kind=kind)
    else:
        clock.cycle += 1
    _arm(case, clock, target, policy, started_at, now).save()
    return [_record(case, clock, "started", reason=reason)]


class NewCaseRows:
    """What a new case's clocks write: the clocks, all the events, and how the events learn their clock's id.

    `wrap` (for `helpdesk.inserts`) gives each "started" event the id of its clock from the
    row the clocks' INSERT wrote just before it: in the same text for a case already
    written, in the same statement for a new one. Once both are written, `written()` puts
    those ids on the events in memory too.
    """

    def __init__(self, case, lead: list[dict]):
        now = wall.now()
        policy = policy_for(case)
        self.clocks = [
            _arm(case, Clock(case=case, kind=kind), target, policy, case.created_at, now)
            for kind in (TargetKind.FIRST_RESPONSE, TargetKind.RESOLUTION)
            if (target := _target(policy, case.priority, kind)) is not None
        ] if policy is not None else []
        entries = [{**e, "case": case} for e in lead] + [event_entry(case, clock, "started") for clock in self.clocks]
        self.events = case_events_build(entries=entries)
        self.first = len(entries) - len(self.clocks)  # the "started" events follow the lead entries
        # One clock per case and kind. For a case still being written (`insert_new_after`)
        # the clocks are written in the same statement, as its first list (the events are
        # the second, as `wrap` says): their rows are read from it.
        if case.pk is not None:
            source, params = f"{Clock._meta.db_table} WHERE case_id = %s AND", [case.pk]
        else:
            source, params = f"{written_rows(0)} WHERE", []
        clock_id = f"jsonb_set(%s::jsonb, '{{clock}}', (SELECT to_jsonb(id) FROM {source} kind = %s))"
        self.wrap = {1: {(self.first + n, "data"): (clock_id, [*params, clock.kind])
                         for n, clock in enumerate(self.clocks)}} if self.clocks else {}

    def written(self) -> list[CaseEvent]:
        for event, clock in zip(self.events[self.first:], self.clocks, strict=True):
            event.data["clock"] = clock.pk
        return self.events


def clocks_start_new_case(*, case, lead: list[dict] = ()) -> list[CaseEvent]:
    """Start the first-response and resolution clocks of a case just created; one round trip.

    `case_create` calls this once routing has placed the case, so the clocks start at the
    priority routing chose, from the creation instant, and the case has none yet. `lead`
    entries (the `created` event, when routing wrote nothing) go first in the events' INSERT.
    """
    rows = NewCaseRows(case, list(lead))
    if not rows.clocks:
        return insert_new(rows.events)
    if sends_several():
        # The clocks and their events in one round trip.
        insert_new_together(rows.clocks, rows.events, wrap=rows.wrap)
        return rows.written()
    insert_new(rows.clocks)
    rows.written()
    return insert_new(rows.events)


def _meet(case, clock: Clock, now: datetime) -> list[CaseEvent]:
    """Stop a running, paused or breached clock as met (a breach stays recorded)."""
    entry = meet_entry(case, clock, now)
    if entry is None:
        return []
    clock.save()
    return [case_event_record(**entry)]


def meet_entry(case, clock: Clock, now: datetime) -> dict | None:
    """Mark `clock` met in memory (the caller saves it); return its "met" event's arguments, or None.

    None when there is nothing to meet: the clock was met or cancelled already.
    """
    if clock.met_at is not None or clock.state in (ClockState.MET, ClockState.CANCELLED):
        return None
    bc = _calendar(clock, now)
    if clock.state == ClockState.PAUSED:
        clock.paused_seconds += business_seconds_between(bc, clock.paused_at, now)
        clock.paused_at = None
    breached = clock.state == ClockState.BREACHED
    clock.met_at = now
    if not breached:
        clock.state = ClockState.MET
    clock.next_check_at = None
    return event_entry(case, clock, "met", breached=breached,
                       business_seconds=round(business_seconds_between(bc, clock.started_at, now) - clock.paused_seconds))


def _cancel(case, clock: Clock, reason: str) -> list[CaseEvent]:
    if not clock.is_live:
        return []
    clock.state, clock.next_check_at, clock.paused_at = ClockState.CANCELLED, None, None
    clock.save()
    return [_record(case, clock, "cancelled", reason=reason)]


def _pause(case, clock: Clock, now: datetime) -> list[CaseEvent]:
    if clock.state != ClockState.RUNNING:
        return []
    clock.state, clock.paused_at, clock.next_check_at = ClockState.PAUSED, now, None
    clock.save()
    return [_record(case, clock, "paused", reason=f"The case is {case.get_state_display().lower()}.")]


def _resume(case, clock: Clock, now: datetime, *, since: datetime, reason: str) -> list[CaseEvent]:
    """Run the clock again, pushing its due time out by the business time since `since`."""
    bc = _calendar(clock, now)
    paused = business_seconds_between(bc, since, now)
    clock.paused_seconds += paused
    clock.state, clock.paused_at, clock.met_at = ClockState.RUNNING, None, None
    clock.due_at = add_business_seconds(bc, clock.started_at, clock.target_seconds + clock.paused_seconds)
    schedule(clock, bc)
    clock.save()
    return [_record(case, clock, "resumed", reason=reason, paused_business_seconds=round(paused))]


def _customer_replied(case, clocks: dict[str, Clock], now: datetime) -> list[CaseEvent]:
    first = clocks.get(TargetKind.FIRST_RESPONSE)
    if first is not None and first.is_live:
        return []  # the first response still answers this reply
    current = clocks.get(TargetKind.NEXT_RESPONSE)
    if current is not None and current.is_live:
        return []  # already waiting for an answer since the earlier reply
    policy = policy_for(case)
    target = _target(policy, case.priority, TargetKind.NEXT_RESPONSE) if policy is not None else None
    if target is None:
        return []
    events = _start(case, current, TargetKind.NEXT_RESPONSE, target, policy, now, now, reason="The customer replied.")
    clocks[TargetKind.NEXT_RESPONSE] = Clock.objects.get(case=case, kind=TargetKind.NEXT_RESPONSE)
    return events


def _follow_state(case, now: datetime, *, reopened: bool, clocks: dict[str, Clock] | None = None) -> list[CaseEvent]:
    """Bring the clocks in line with the case state after the change."""
    if clocks is None:
        clocks = {c.kind: c for c in Clock.objects.filter(case=case).select_related("calendar", "policy")}
    out: list[CaseEvent] = []
    if case.state in TERMINAL_STATES:
        for c in clocks.values():
            out += _cancel(case, c, f"The case was {case.get_state_display().lower()}.")
        return out
    resolution = clocks.get(TargetKind.RESOLUTION)
    if resolution is None:
        return out
    pause_states = resolution.policy.pause_states if resolution.policy is not None else [State.WAITING_ON_CUSTOMER]
    if case.state == State.RESOLVED:
        out += _meet(case, resolution, now)
    elif reopened and resolution.met_at is not None:
        out += _resume(case, resolution, now, since=resolution.met_at, reason="The case was reopened.")
    elif case.state in pause_states:
        out += _pause(case, resolution, now)
    elif resolution.state == ClockState.PAUSED:
        out += _resume(case, resolution, now, since=resolution.paused_at,
                       reason=f"The case is {case.get_state_display().lower()} again.")
    return out


def _rematch(case, clocks: dict[str, Clock], now: datetime, *, reason: str) -> list[CaseEvent]:
    """Re-choose the policy and recompute each clock from its original start."""
    policy = policy_for(case)
    out: list[CaseEvent] = []
    why = f"Re-matched after a change of {reason}."
    for kind in (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE, TargetKind.RESOLUTION):
        clock = clocks.get(kind)
        target = _target(policy, case.priority, kind) if policy is not None else None
        if target is None:
            if clock is not None:
                out += _cancel(case, clock, f"{why} No target applies any more.")
            continue
        if clock is None:
            wanted = (kind == TargetKind.FIRST_RESPONSE and case.first_responded_at is None) or (
                kind == TargetKind.RESOLUTION and case.state != State.RESOLVED)
            if wanted and case.is_open:
                out += _start(case, None, kind, target, policy, case.created_at, now, reason=why)
                clocks[kind] = Clock.objects.get(case=case, kind=kind)
            continue
        if clock.state in (ClockState.MET, ClockState.CANCELLED) or clock.met_at is not None:
            continue
        same = (clock.policy_id == policy.pk and clock.calendar_id == target.calendar_id
                and clock.target_seconds == target.minutes * 60 and clock.priority == case.priority)
        if same:
            continue
        before_due = clock.due_at
        old_fired_pct = clock.checkpoints[clock.fired - 1] if clock.fired else 0
        clock.policy, clock.calendar, clock.priority = policy, target.calendar, case.priority
        clock.target_seconds = target.minutes * 60
        clock.checkpoints = _checkpoints(policy)
        # Warnings already sent stay sent; a recorded breach stays recorded.
        clock.fired = len(clock.checkpoints) if clock.state == ClockState.BREACHED else sum(
            1 for p in clock.checkpoints if p <= old_fired_pct)
        bc = _calendar(clock, now)
        paused = clock.paused_seconds + (
            business_seconds_between(bc, clock.paused_at, now) if clock.state == ClockState.PAUSED else 0)
        clock.due_at = add_business_seconds(bc, clock.started_at, clock.target_seconds + paused)
        schedule(clock, bc)
        clock.save()
        out.append(_record(case, clock, "recomputed", reason=why,
                           due_before=before_due.isoformat(), due_after=clock.due_at.isoformat()))
    return out


def late_after_seconds() -> int:
    """Return how long past its instant a checkpoint may fire before it counts as late."""
    return int(getattr(settings, "SLA_LATE_AFTER_SECONDS", 60))
