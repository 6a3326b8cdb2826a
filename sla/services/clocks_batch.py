"""SLA clocks of many cases at once, for changes applied to a batch of cases in one transaction.

`clocks_react` reacts to one case's events with a few statements per case; a background
job that resolves thousands of cases calls the bulk form here instead, which gives each
case the same clock outcome with one read and one write for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from helpdesk import clock as wall
from sla.models import Clock, ClockState, TargetKind
from sla.services.clocks import meet_entry

RESPONSE_KINDS = (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE)


def clocks_resolve_many(*, cases: Iterable, replied: bool) -> dict[int, tuple[list[dict], list[dict]]]:
    """Meet the clocks of cases that were resolved (after a public staff reply when `replied`).

    Per case, the same as `clocks_react` after `comment_add` with a public staff reply
    (the first- and next-response clocks are met) and after the resolve transition (the
    resolution clock is met, counting the time it was paused; a breach stays recorded).
    The cases' rows must be locked by the caller; the clocks are locked in case order and
    written in one statement.

    Returns, for each case id that had something to meet, the arguments of its SLA events
    as two lists: those that follow the reply and those that follow the resolution. The
    caller records them with its own events and publishes them.
    """
    by_id = {case.pk: case for case in cases}
    if not by_id:
        return {}
    kinds = [*RESPONSE_KINDS, TargetKind.RESOLUTION] if replied else [TargetKind.RESOLUTION]
    clocks = list(
        Clock.objects.select_for_update(of=("self",)).select_related("calendar")
        .filter(case_id__in=list(by_id), kind__in=kinds, met_at__isnull=True)
        .exclude(state__in=[ClockState.MET, ClockState.CANCELLED])
        .order_by("case_id", "kind")
    )
    now = wall.now()
    out: dict[int, tuple[list[dict], list[dict]]] = {}
    changed = []
    # Response clocks first, as the reply comes before the resolution.
    for clock in sorted(clocks, key=lambda c: (c.case_id, c.kind == TargetKind.RESOLUTION)):
        entry = meet_entry(by_id[clock.case_id], clock, now)
        if entry is None:
            continue
        changed.append(clock)
        after_reply, after_resolve = out.setdefault(clock.case_id, ([], []))
        (after_resolve if clock.kind == TargetKind.RESOLUTION else after_reply).append(entry)
    if changed:
        Clock.objects.bulk_update(changed, ["state", "met_at", "paused_at", "paused_seconds", "next_check_at"])
    return out
