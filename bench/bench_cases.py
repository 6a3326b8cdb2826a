"""Case API benchmark on PostgreSQL: creation, the agent's queue and case detail at 10k, 100k, 1M cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_bench .venv/bin/python bench/bench_cases.py
    (options: --sizes 10000,100000,1000000  --creates 1000  --repeat 60)

For each size it seeds up to that many bench cases (bench/seed.py), then calls the API
in-process through DRF's APIClient with token authentication, as an agent of one
support team, and measures the median and p95 latency of each request and the number
of SQL queries it makes:
- the queue: `GET /api/v1/cases/` (everything the agent may see) and the open-work queue
  (`?state=new&state=triaged&...`), first page and a deep cursor page (90% down the
  list), with the default page size (25) and 100;
- case detail: `GET /api/v1/cases/CS-…/` for cases of the agent's team;
- creation: `POST /api/v1/cases/` by customers, one after another from this one process
  (or from --create-threads clients at once), with SLA policies in place so that each new
  case starts its clocks, checking that each new case has its `created` event; the time
  includes the delivery of every creation's events (live boards, automation, webhooks).
Writes bench/results/cases.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

import seed as bench_seed  # noqa: E402

from helpdesk import bus  # noqa: E402

from tickets.models import OPEN_STATES, Case, CaseEvent, Category, Product, User, reference_for  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cases.json"
OPEN_QUERY = "&".join(f"state={s}" for s in OPEN_STATES)


class QueryCounter:
    """Count the SQL statements run inside the block (an execute wrapper sees every one)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapped = connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapped.__exit__(*exc)


def cursor_at(position: int) -> str:
    """Return a DRF cursor that starts the `-id` ordered list just below `position`."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def measure(client: APIClient, method: str, url: str, *, repeat: int, payload=None, expect=200) -> dict:
    """Return median/p95 latency (ms) and the query count of one request, after a warm-up."""
    call = getattr(client, method)
    kwargs = {"format": "json"} if payload is not None else {}
    for _ in range(3):
        response = call(url, payload, **kwargs) if payload is not None else call(url)
        assert response.status_code == expect, (url, response.status_code, response.content[:300])
    with QueryCounter() as counted:
        response = call(url, payload, **kwargs) if payload is not None else call(url)
    rows = len(response.data.get("results", [])) if isinstance(response.data, dict) else None
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call(url, payload, **kwargs) if payload is not None else call(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "queries": counted.count, "rows": rows, "runs": repeat}


def client_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def bench_reads(size: int, repeat: int) -> dict:
    agent = User.objects.get(username=f"{bench_seed.PREFIX}-agent-0-0")
    client = client_for(agent)
    lo, hi = Case.objects.filter(subject__startswith="[bench]").order_by("id").values_list("id", flat=True)[:1][0], \
        Case.objects.filter(subject__startswith="[bench]").order_by("-id").values_list("id", flat=True)[:1][0]
    deep = cursor_at(lo + (hi - lo) // 10)
    out = {}
    for label, query in (("all", ""), ("open", OPEN_QUERY)):
        for page_size in (25, 100):
            sep = "&" if query else ""
            base = f"/api/v1/cases/?{query}{sep}page_size={page_size}"
            out[f"list_{label}_first_{page_size}"] = measure(client, "get", base, repeat=repeat)
            out[f"list_{label}_deep_{page_size}"] = measure(client, "get", f"{base}&cursor={deep}", repeat=repeat)
    team_cases = list(Case.objects.filter(team__memberships__user=agent, state__in=OPEN_STATES)
                      .order_by("-id").values_list("id", flat=True)[:200])
    rng = random.Random(size)
    details = [measure(client, "get", f"/api/v1/cases/{reference_for(rng.choice(team_cases))}/", repeat=max(5, repeat // 6))
               for _ in range(6)]
    times = sorted(d["median_ms"] for d in details)
    out["detail"] = {"median_ms": round(statistics.median(times), 2), "p95_ms": max(d["p95_ms"] for d in details),
                     "queries": max(d["queries"] for d in details), "cases_sampled": len(details)}
    return out


def sla_policies() -> int:
    """Define the SLA policies a help desk runs with (as the demo does): every new case starts clocks."""
    from datetime import time as day_time

    from sla.services.policies import calendar_define, policy_define

    dublin = calendar_define(name="[bench] Dublin hours", time_zone="Europe/Dublin", holiday_country="IE",
                             hours=[(d, day_time(9), day_time(17, 30)) for d in range(5)])
    always = calendar_define(name="[bench] 24x7", always=True, time_zone="UTC")
    rows = [("P1", 120, 240, 960), ("P2", 240, 480, 1920), ("P3", 480, 960, 3840), ("P4", 960, 1920, 7680)]

    def targets(calendar):
        return [(p, kind, minutes, calendar) for p, first, nxt, res in rows
                for kind, minutes in (("first_response", first), ("next_response", nxt), ("resolution", res))]

    policy_define(name="[bench] Enterprise around the clock", position=10, tiers=["enterprise"],
                  targets=targets(always))
    policy_define(name="[bench] Standard", position=1000, is_default=True, targets=targets(dublin))
    return 2


def bench_create(count: int, threads: int = 1) -> dict:
    sla_policies()
    bus.background_start()  # as the ASGI application does at start-up
    customers = list(User.objects.filter(username__startswith=f"{bench_seed.PREFIX}-customer-").order_by("id")[:50])
    clients = [client_for(c) for c in customers]
    for client in clients[1:]:
        # One request handler for all, as one server process loads its middleware once
        # (each test client would otherwise load it, static files scan included, on its first request).
        client.handler = clients[0].handler
    products = list(Product.objects.filter(slug__startswith="bench-product-").values_list("id", flat=True))
    categories = list(Category.objects.filter(slug__startswith="bench-", parent__isnull=False).values_list("id", flat=True))
    rng = random.Random(count)
    payloads = [{"subject": f"Created through the API {i}", "description": "The export fails with a timeout.",
                 "priority": rng.choice(["P2", "P3", "P4"]), "product": rng.choice(products),
                 "category": rng.choice(categories), "tags": rng.sample(bench_seed.TAGS, k=rng.choice([0, 1, 2]))}
                for i in range(count)]
    for i in range(5):  # warm-up: imports, connection, caches
        assert clients[i].post("/api/v1/cases/", payloads[i], format="json").status_code == 201
    with QueryCounter() as counted:
        assert clients[0].post("/api/v1/cases/", payloads[0], format="json").status_code == 201
    queries = counted.count
    first_id = Case.objects.order_by("-id").values_list("id", flat=True)[:1][0] + 1
    times: list[float] = []

    def post_share(share: int) -> None:
        # One client per customer; with several threads each takes every n-th payload.
        try:
            for i in range(share, count, threads):
                t = time.perf_counter()
                response = clients[i % len(clients)].post("/api/v1/cases/", payloads[i], format="json")
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 201, response.content[:300]
        finally:
            if threads > 1:
                connection.close()

    started, cpu_started = time.perf_counter(), time.process_time()
    if threads == 1:
        post_share(0)
    else:
        workers = [threading.Thread(target=post_share, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len(times) == count, "a request failed (see above)"
    # The clock stops once this process has also delivered every creation's events
    # (live boards, automation, webhooks, feedback) from its delivery thread.
    assert bus.background_drain(120)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    made = Case.objects.filter(id__gte=first_id).count()
    with_event = CaseEvent.objects.filter(case_id__gte=first_id, kind="created").values("case_id").distinct().count()
    assert made == count and with_event == count, (made, with_event)
    times.sort()
    return {"count": count, "threads": threads, "per_second": round(count / wall, 1),
            "median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "queries": queries, "created_events": with_event,
            # This process's CPU (every thread: requests, delivery, publication) per creation:
            # steadier than the rate when the machine's speed varies between runs.
            "process_cpu_ms": round(cpu * 1000 / count, 3)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), None)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "postgresql": pg, "os": platform.platform(),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Case API benchmark (PostgreSQL).")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--create-threads", type=int, default=1,
                        help="clients posting at once, all served by this one process (default 1: one after another)")
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        raise SystemExit("bench_cases.py needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    # Sizes may be measured in separate runs (each on its own database): results merge by size.
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"sizes": {}}
    results["machine"] = machine()
    for size in [int(s) for s in args.sizes.split(",")]:
        seeded = bench_seed.seed(size, log=lambda m: print(m, flush=True))
        print(f"== {size} cases", flush=True)
        reads = bench_reads(size, args.repeat)
        for name, figures in reads.items():
            print(f"  {name:<24} median {figures['median_ms']:>7} ms  p95 {figures['p95_ms']:>7} ms  "
                  f"{figures['queries']} queries", flush=True)
        create = bench_create(args.creates, threads=args.create_threads)
        print(f"  create                   {create['per_second']} cases/s, median {create['median_ms']} ms, "
              f"{create['queries']} queries, process CPU {create['process_cpu_ms']} ms per case", flush=True)
        results["sizes"][str(size)] = {"seed": seeded, "reads": reads, "create": create,
                                       "command": " ".join(["bench/bench_cases.py", *sys.argv[1:]]),
                                       "load_average": os.getloadavg()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
