"""Benchmark: fix a problem linked to N open cases, in the background, with a real Celery worker.

Seeds N open cases (bulk inserts) spread over N/3 customers, links them to one problem,
starts a Celery worker against Redis, then POSTs /api/v1/problems/{ref}/fix/ and measures
(1) how long the request takes and (2) how long until every linked case has the public
reply, is resolved, and each customer has exactly one notification.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/bench_problem_fix.py --cases 10000 --runs 3 --concurrency 2

`--batch-size` and `--commit-every` override `workflows.problem_jobs.BATCH_SIZE` and
`COMMIT_EVERY` in the worker (for tuning); `--out` names the results file.
Writes bench/results/problem_fix.json by default.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from helpdesk import clock  # noqa: E402
from tickets.models import Case, Comment, Role, State, User  # noqa: E402
from workflows.models import (  # noqa: E402
    Membership,
    Notification,
    Problem,
    ProblemLink,
    ProblemNotification,
    Team,
    TeamKind,
)

OPEN_MIX = [State.ASSIGNED, State.IN_PROGRESS, State.WAITING_ON_CUSTOMER, State.WAITING_ON_INTERNAL, State.TRIAGED]


def seed(run: int, n_cases: int) -> tuple[Problem, User]:
    """Create N open cases over N/3 customers, all linked to a new problem; return it and its owner."""
    tag = f"bench-fix-{int(time.time())}-{run}"
    support, _ = Team.objects.get_or_create(slug="bench-support", defaults={"name": "Bench support"})
    dept, _ = Team.objects.get_or_create(slug="bench-engineering",
                                         defaults={"name": "Bench engineering", "kind": TeamKind.DEPARTMENT})
    agent = User.objects.create_user(username=f"{tag}-agent", role=Role.AGENT)
    Membership.objects.create(team=support, user=agent)
    engineer = User.objects.create_user(username=f"{tag}-eng", role=Role.DEPARTMENT)
    Membership.objects.create(team=dept, user=engineer)
    customers = User.objects.bulk_create(
        [User(username=f"{tag}-c{i}", role=Role.CUSTOMER, email=f"{tag}-c{i}@example.com")
         for i in range(max(1, n_cases // 3))])
    now = clock.now()
    cases = Case.objects.bulk_create(
        [Case(subject=f"Charged twice ({i})", requester=customers[i % len(customers)], team=support, assignee=agent,
              state=OPEN_MIX[i % len(OPEN_MIX)], created_at=now, updated_at=now) for i in range(n_cases)],
        batch_size=2000)
    problem = Problem.objects.create(title=f"{tag} double charges", department=dept, owner=engineer,
                                     created_by=engineer, keywords="twice")
    ProblemLink.objects.bulk_create([ProblemLink(problem=problem, case=c, linked_by=agent) for c in cases],
                                    batch_size=5000)
    return problem, engineer


# Starts the worker with other batch sizes: the pool's processes are forked from this one,
# so they keep the values set here.
WORKER_WITH_KNOBS = (
    "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'helpdesk.settings'); django.setup(); "
    "from workflows import problem_jobs; "
    "problem_jobs.BATCH_SIZE = int(os.environ.get('BENCH_BATCH_SIZE') or problem_jobs.BATCH_SIZE); "
    "problem_jobs.COMMIT_EVERY = int(os.environ.get('BENCH_COMMIT_EVERY') or problem_jobs.COMMIT_EVERY); "
    "from celery.__main__ import main; sys.argv[0] = 'celery'; main()"
)


def start_worker(concurrency: int, knobs: dict[str, str]) -> subprocess.Popen:
    start = ["-c", WORKER_WITH_KNOBS] if knobs else ["-m", "celery"]
    cmd = [sys.executable, *start, "-A", "helpdesk", "worker", "--loglevel=WARNING",
           f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip", "--without-mingle",
           "--without-heartbeat", "-n", f"bench-problem-fix-{os.getpid()}@%h"]
    log_path = ROOT / "bench" / "results" / "tmp" / "problem_fix_worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0", **knobs},
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    time.sleep(6)  # let the worker connect before the first task is sent
    if worker.poll() is not None:
        raise SystemExit(f"worker did not start; see {log_path}")
    return worker


def one_run(run: int, n_cases: int, timeout: float) -> dict:
    problem, engineer = seed(run, n_cases)
    load_before = os.getloadavg()[0]
    client = APIClient()
    client.force_authenticate(engineer)
    started = time.perf_counter()
    response = client.post(f"/api/v1/problems/{problem.reference}/fix/",
                           {"resolution": "We refunded the second charge."}, format="json")
    request_seconds = time.perf_counter() - started
    assert response.status_code == 202, response.content
    while True:
        problem.refresh_from_db(fields=["fix_completed_at"])
        if problem.fix_completed_at is not None:
            break
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"run {run}: not finished after {timeout} s")
        time.sleep(0.25)
    total_seconds = time.perf_counter() - started
    case_ids = list(problem.links.values_list("case_id", flat=True))
    resolved = Case.objects.filter(pk__in=case_ids, state=State.RESOLVED).count()
    replies = Comment.objects.filter(case_id__in=case_ids, is_public=True, body="We refunded the second charge.").count()
    customers = Case.objects.filter(pk__in=case_ids).values("requester").distinct().count()
    told = Notification.objects.filter(kind="problem_fixed", data__problem=problem.pk)
    per_customer = told.values("user").distinct().count()
    result = {
        "run": run, "cases": n_cases, "customers": customers, "request_ms": round(request_seconds * 1000, 1),
        "fix_seconds": round(total_seconds, 2), "cases_per_second": round(n_cases / total_seconds, 1),
        "resolved": resolved, "public_replies": replies, "notifications": told.count(),
        "customers_notified": per_customer, "notification_records": ProblemNotification.objects.filter(problem=problem).count(),
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
    }
    assert resolved == replies == n_cases, result
    assert told.count() == per_customer == customers, result
    print(json.dumps(result), flush=True)
    return result


def code_version() -> str | None:
    """Return the commit the benchmark ran (with "+changes" when the tree differs from it), or None."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}+changes" if dirty else commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--batch-size", type=int, default=None, help="override problem_jobs.BATCH_SIZE")
    parser.add_argument("--commit-every", type=int, default=None, help="override problem_jobs.COMMIT_EVERY")
    parser.add_argument("--out", default="problem_fix.json", help="file name under bench/results/")
    args = parser.parse_args()
    if not settings.IS_POSTGRES or not settings.REDIS_URL:
        raise SystemExit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark measures the production setup.")
    from helpdesk.celery import app
    from workflows import problem_jobs

    knobs = {}
    if args.batch_size:
        knobs["BENCH_BATCH_SIZE"] = str(args.batch_size)
    if args.commit_every:
        knobs["BENCH_COMMIT_EVERY"] = str(args.commit_every)
    app.control.purge()
    worker = start_worker(args.concurrency, knobs)
    try:
        runs = [one_run(i + 1, args.cases, args.timeout) for i in range(args.runs)]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    summary = {
        "benchmark": "problem_fix",
        "what": "POST /api/v1/problems/{ref}/fix/ with N linked open cases; background fix by a Celery worker",
        "cases": args.cases, "worker_concurrency": args.concurrency,
        "batch_size": args.batch_size or problem_jobs.BATCH_SIZE, "commit_every": args.commit_every or problem_jobs.COMMIT_EVERY,
        "command": " ".join(["python", "bench/bench_problem_fix.py", *sys.argv[1:]]), "code": code_version(),
        "database": connection.vendor, "postgres_version": connection.cursor().connection.info.server_version,
        "median_fix_seconds": statistics.median(r["fix_seconds"] for r in runs),
        "median_request_ms": statistics.median(r["request_ms"] for r in runs),
        "median_cases_per_second": statistics.median(r["cases_per_second"] for r in runs),
        "target_fix_seconds": 30, "runs": runs,
    }
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
