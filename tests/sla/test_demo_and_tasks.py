"""The demo configuration loads twice without duplicating; the beat tasks run the services."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.conf import settings

from sla.demo import seed
from sla.models import Calendar, ChainLink, Policy, Shift
from sla.selectors.coverage import coverage_report
from sla.tasks import run_handovers, sweep_clocks
from tickets.services.cases import case_create


def test_demo_seed_is_idempotent(db):
    out = StringIO()
    seed(out)
    seed(out)
    assert Calendar.objects.count() == 4 and Policy.objects.count() == 4
    assert ChainLink.objects.count() == 3 and Shift.objects.count() == 15
    (row,) = coverage_report(at=datetime(2026, 1, 14, tzinfo=UTC))
    assert row["gaps"] and "SLA:" in out.getvalue()


def test_beat_schedule_lists_the_sweeps():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"sla.sweep_clocks", "sla.run_handovers"} <= tasks


def test_tasks_run_the_sweeps(default_policy, customer):
    t0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as t:
        case_create(requester=customer, subject="Beat")
        t.move_to(t0 + timedelta(hours=1, seconds=1))
        assert sweep_clocks.apply().get() == 3
        assert sweep_clocks.apply().get() == 0
        assert run_handovers.apply().get() == 0
