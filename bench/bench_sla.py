"""SLA benchmark on PostgreSQL: the sweep with 1,000,000 running clocks, a burst of 10,000 due
clocks, and due-time computation on a business calendar; compared with a naive scan.

Usage (the database must be migrated; seeding happens once and is reused):
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_sla.py [--clocks 1000000] [--burst 10000]

Writes bench/results/sla.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, time as dtime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from helpdesk import clock as wall  # noqa: E402
from sla.business_time import add_business_seconds  # noqa: E402
from sla.models import Calendar, Clock, Policy, TargetKind  # noqa: E402
from sla.selectors.calendars import business_calendar  # noqa: E402
from sla.services.policies import calendar_define, policy_define  # noqa: E402
from sla.services.sweeps import clocks_sweep  # noqa: E402
from tickets.models import OPEN_STATES, CaseEvent, User  # noqa: E402

BENCH_SUBJECT = "sla-bench"
OPEN = tuple(str(s) for s in OPEN_STATES)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def setup_config():
    business = calendar_define(
        name="Bench Dublin", time_zone="Europe/Dublin", holiday_country="IE",
        hours=[(d, dtime(9), dtime(17)) for d in range(5)],
    )
    always = calendar_define(name="Bench 24x7", always=True)
    policy = Policy.objects.filter(name="Bench").first() or policy_define(
        name="Bench", position=10_000, channels=["api"], breach_notify_manager=False,
        targets=[("P3", TargetKind.RESOLUTION, 8 * 60, business)],
    )
    return business, always, policy


def seed(n: int, business: Calendar, policy: Policy) -> int:
    """Insert `n` minimal cases and one running resolution clock each, with COPY; reuse earlier seeds."""
    have = Clock.objects.filter(policy=policy).count()
    if have >= n:
        return have
    requester, _ = User.objects.get_or_create(username="sla-bench", defaults={"role": "customer"})
    now = wall.now()
    todo = n - have
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_case")
        first_id = cur.fetchone()[0] + 1
        with cur.cursor.copy(
            "COPY tickets_case (id, subject, description, requester_id, priority, channel, custom_fields, "
            "escalation_level, state, reopen_count, version, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(todo):
                copy.write_row((first_id + i, BENCH_SUBJECT, "", requester.pk, "P3", "api", "{}", 0, "in_progress",
                                0, 0, now, now))
        cur.execute("SELECT setval(pg_get_serial_sequence('tickets_case', 'id'), (SELECT MAX(id) FROM tickets_case))")
        rnd = random.Random(7)
        with cur.cursor.copy(
            "COPY sla_clock (case_id, kind, policy_id, calendar_id, priority, state, target_seconds, started_at, "
            "due_at, paused_seconds, checkpoints, fired, next_check_at, cycle) FROM STDIN"
        ) as copy:
            for i in range(todo):
                # Due between one and thirty days from now: nothing is due when the sweep runs.
                check = now + timedelta(seconds=rnd.randint(86_400, 30 * 86_400))
                copy.write_row((first_id + i, "resolution", policy.pk, business.pk, "P3", "running", 8 * 3600,
                                now, check + timedelta(hours=4), 0, "[75, 90, 100]", 0, check, 1))
    with connection.cursor() as cur:
        cur.execute("ANALYZE tickets_case")
        cur.execute("ANALYZE sla_clock")
    print(f"seeded {todo} cases and clocks in {time.perf_counter() - t0:.1f}s", flush=True)
    return n


def bench_empty_sweep(runs: int = 30) -> dict:
    clocks_sweep()  # warm connection and caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fired = clocks_sweep()
        times.append(time.perf_counter() - t0)
        assert fired == 0, "the bench expects nothing due"
    return {"runs": runs, "median_ms": ms(statistics.median(times)), "max_ms": ms(max(times))}


def bench_naive_scan(business_bc, runs: int = 3, python_sample: int = 100_000) -> dict:
    """What a per-case design does: look at every open case's clock to find what is due."""
    now = wall.now()
    sql = (
        "SELECT k.id, k.started_at, k.target_seconds, k.paused_seconds, k.fired, k.checkpoints "
        "FROM tickets_case c JOIN sla_clock k ON k.case_id = c.id "
        "WHERE c.state = ANY(%s) AND k.state = 'running'"
    )
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM ({sql}) s WHERE s.started_at <= %s", [list(OPEN), now])
            cur.fetchone()
        times.append(time.perf_counter() - t0)
    # Evaluating each clock's next checkpoint in Python, as a per-case timer would.
    t0 = time.perf_counter()
    seen = 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql + f" LIMIT {python_sample}", [list(OPEN)])
        for _id, started, target, paused, fired, checkpoints in cur.fetchall():
            pct = json.loads(checkpoints)[fired] if isinstance(checkpoints, str) else checkpoints[fired]
            add_business_seconds(business_bc, started, target * pct / 100 + paused) <= now
            seen += 1
    py = time.perf_counter() - t0
    total = Clock.objects.filter(state="running").count()
    return {
        "sql_scan_median_ms": ms(statistics.median(times)),
        "python_eval_sample": seen, "python_eval_sample_s": round(py, 3),
        "python_eval_all_estimated_s": round(py / max(seen, 1) * total, 1),
        "running_clocks": total,
    }


def bench_burst(burst: int, always: Calendar, policy: Policy, runs: int = 3) -> dict:
    """Make `burst` clocks due at once (half at a warning, half at the breach) and sweep them."""
    results = []
    ids = list(Clock.objects.filter(policy=policy).order_by("id").values_list("id", flat=True)[:burst])
    for _ in range(runs):
        now = wall.now()
        target = 8 * 3600
        with connection.cursor() as cur:
            half = ids[: burst // 2]
            rest = ids[burst // 2:]
            # Warnings due: 80 % of the target has passed on a 24x7 calendar.
            cur.execute(
                "UPDATE sla_clock SET calendar_id=%s, state='running', fired=0, started_at=%s, due_at=%s, "
                "next_check_at=%s, breached_at=NULL WHERE id = ANY(%s)",
                [always.pk, now - timedelta(seconds=target * 0.8), now + timedelta(seconds=target * 0.2),
                 now - timedelta(seconds=target * 0.05), half])
            # Breaches due: both warnings already sent, the target passed a second ago.
            cur.execute(
                "UPDATE sla_clock SET calendar_id=%s, state='running', fired=2, started_at=%s, due_at=%s, "
                "next_check_at=%s, breached_at=NULL WHERE id = ANY(%s)",
                [always.pk, now - timedelta(seconds=target + 1), now - timedelta(seconds=1),
                 now - timedelta(seconds=1), rest])
        before = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        t0 = time.perf_counter()
        fired = clocks_sweep()
        elapsed = time.perf_counter() - t0
        events = CaseEvent.objects.filter(id__gt=before, kind="sla").count()
        left = Clock.objects.filter(id__in=ids, next_check_at__lte=now).count()
        results.append({"seconds": round(elapsed, 3), "fired": fired, "events": events, "left_due": left,
                        "per_second": round(fired / elapsed)})
        # Put the clocks back in the future so the empty-sweep figure stays true on a re-run.
        with connection.cursor() as cur:
            cur.execute("UPDATE sla_clock SET state='running', fired=0, calendar_id=%s, "
                        "next_check_at=%s WHERE id = ANY(%s)",
                        [policy.targets.first().calendar_id, now + timedelta(days=10), ids])
    return {"burst": burst, "runs": results, "median_s": statistics.median(r["seconds"] for r in results)}


def bench_due_time(business_bc, n: int = 200_000, runs: int = 3) -> dict:
    rnd = random.Random(11)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rnd.randint(0, 365 * 86_400)) for _ in range(n)]
    durations = [rnd.randint(15 * 60, 40 * 3600) for _ in range(n)]
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for s, d in zip(starts, durations):
            add_business_seconds(business_bc, s, d)
        rates.append(n / (time.perf_counter() - t0))
    return {"computations": n, "median_per_second": round(statistics.median(rates)),
            "calendar": "Europe/Dublin Mon-Fri 09:00-17:00 with Irish public holidays"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=10_000)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("bench_sla needs PostgreSQL (DATABASE_URL)")
    business, always, policy = setup_config()
    total = seed(args.clocks, business, policy)
    business_bc = business_calendar(business, year=wall.now().year)
    out = {
        "benchmark": "sla", "when": wall.now().isoformat(), "running_clocks": total,
        "database": connection.vendor, "python": sys.version.split()[0],
        "empty_sweep": bench_empty_sweep(),
        "burst": bench_burst(args.burst, always, policy),
        "due_time": bench_due_time(business_bc),
        "naive_scan": bench_naive_scan(business_bc),
        "targets": {"empty_sweep_ms": 20, "burst_s": 10, "due_time_per_second": 50_000},
    }
    out["passed"] = {
        "empty_sweep": out["empty_sweep"]["median_ms"] < 20,
        "burst": out["burst"]["median_s"] < 10 and all(r["left_due"] == 0 and r["events"] == args.burst
                                                       for r in out["burst"]["runs"]),
        "due_time": out["due_time"]["median_per_second"] >= 50_000,
    }
    path = ROOT / "bench" / "results" / "sla.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
