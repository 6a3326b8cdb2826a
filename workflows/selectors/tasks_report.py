"""The stage-duration (stall) report: where routes wait, read from the stage rows."""

from __future__ import annotations

import math
import statistics
from datetime import datetime

from helpdesk import clock
from workflows.models import TASK_OPEN_STATES, TaskStage


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of `values` (pct in 0..100); values must be non-empty."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def stage_stalls(*, since: datetime | None = None, until: datetime | None = None, template=None,
                 department=None, longest: int = 10) -> dict:
    """Return median and 90th percentile time per (route, stage, department) and the longest open tasks.

    Finished stages entered within [since, until) give the durations; the longest open
    tasks are those whose current stage has waited longest, with who holds them.
    """
    now = clock.now()
    done = TaskStage.objects.filter(entered_at__isnull=False, exited_at__isnull=False).select_related(
        "task__route_template", "department")
    if since is not None:
        done = done.filter(entered_at__gte=since)
    if until is not None:
        done = done.filter(entered_at__lt=until)
    if template is not None:
        done = done.filter(task__route_template=template)
    if department is not None:
        done = done.filter(department=department)
    groups: dict[tuple, list[float]] = {}
    labels: dict[tuple, dict] = {}
    for stage in done.iterator(chunk_size=2000):
        route = stage.task.route_template
        key = (route.pk if route else 0, stage.position, stage.department_id)
        groups.setdefault(key, []).append((stage.exited_at - stage.entered_at).total_seconds())
        labels.setdefault(key, {"route": route.name if route else "(no route)", "stage": stage.name,
                                "position": stage.position, "department": stage.department.name})
    rows = []
    for key in sorted(groups, key=lambda k: (labels[k]["route"], k[1])):
        values = groups[key]
        rows.append({**labels[key], "count": len(values), "median_seconds": statistics.median(values),
                     "p90_seconds": percentile(values, 90), "max_seconds": max(values)})
    current = TaskStage.objects.filter(entered_at__isnull=False, exited_at__isnull=True,
                                       task__state__in=TASK_OPEN_STATES).select_related(
        "task__case", "task__route_template", "department", "holder")
    if template is not None:
        current = current.filter(task__route_template=template)
    if department is not None:
        current = current.filter(department=department)
    open_rows = [{
        "task": s.task.reference, "title": s.task.title, "case": s.task.case.reference,
        "route": s.task.route_template.name if s.task.route_template_id else "(no route)",
        "stage": s.name, "department": s.department.name, "holder": str(s.holder) if s.holder_id else None,
        "entered_at": s.entered_at, "waiting_seconds": int((now - s.entered_at).total_seconds()),
    } for s in current.order_by("entered_at")[:longest]]
    return {"stages": rows, "longest_open": open_rows, "generated_at": now}
