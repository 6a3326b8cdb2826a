"""How a new case reaches PostgreSQL, measured in one process: JSON rows against VALUES, one statement
against three, prepared against sent whole; and what the events' delivery costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_bench_10k REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/bench_inserts.py     (options: --writes 300 --rounds 6 --pairs 12 --block 150
                                                     --steps rows,one_statement,prepared,delivery,coalescing)

Steps of the creation path, each compared with the way before it in the same process,
so that the machine's drift touches both alike:

- **rows**: `helpdesk.insert_rows` sends new rows as one JSON parameter (`INSERT … SELECT …
  FROM jsonb_array_elements(%s)`), against `VALUES` with one bound parameter per value
  (its fallback). Measured on the write itself, a new case's two clocks and three events
  as `clocks_start_new_case` writes them (`insert_new_together`), each write in its own
  transaction rolled back afterwards: thread CPU and wall time, `--rounds` rounds of
  `--writes` writes in each form, alternated; and on API creations (below).
- **one statement**: `case_create` writes a case that routing leaves as it is with its
  tags, clocks and events as one statement in PostgreSQL's implicit transaction
  (`helpdesk.inserts.insert_new_after`), against the general path (BEGIN, the case,
  routing, the clocks with the events, COMMIT). Measured on API creations.
- **prepared**: that statement prepared on the connection (`DATABASE_PREPARED_STATEMENTS`,
  the default), against sending it whole each time. Measured on API creations.
- **delivery**: what delivering the events (live boards, automation, webhooks, feedback)
  from the process's delivery thread costs the creations: delivered against skipped (no
  product setting; the ratio is the share of the rate left with delivery).
- **coalescing**: the delivery thread waiting up to `COALESCE_WAIT_SECONDS` for more
  commits under a steady flow (`helpdesk.bus`), against delivering each at once.

API creations: `POST /api/v1/cases/` by customers as `bench_cases.py` does (SLA policies in
place, every creation's events delivered before the clock stops), in blocks of `--block`
creations, each way in turn (`--pairs` pairs, the order swapped every pair); the figure is
the median of the per-pair ratios (new way / old way), with each way's median rate.

It seeds the 10k bench data (bench/seed.py) when the database has none. Writes
bench/results/inserts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import bench_cases  # noqa: E402  (sets Django up)
import seed as bench_seed  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from helpdesk import bus, insert_rows, inserts  # noqa: E402
from tickets.services import cases as case_services  # noqa: E402
from helpdesk.eventlog import Actor  # noqa: E402
from sla.models import Calendar, Clock, Policy  # noqa: E402
from tickets.models import Case, CaseEvent, Category, Product, User  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "inserts.json"
CLOCK_ID = ("jsonb_set(%s::jsonb, '{clock}', (SELECT to_jsonb(id) FROM sla_clock"
            " WHERE case_id = %s AND kind = %s))")
FORMS = {"json": insert_rows._json_batch_statement, "values": lambda *args, **kwargs: None}
ONE_STATEMENT = case_services.one_statement  # the creation path's test for one statement


def use(form: str) -> None:
    insert_rows._json_batch_statement = FORMS[form]


def use_path(path: str) -> None:
    case_services.one_statement = ONE_STATEMENT if path == "one_statement" else (lambda *args, **kwargs: False)


def use_prepared(way: str) -> None:
    settings.DATABASE_PREPARED_STATEMENTS = way == "prepared"


DELIVER = bus.deliver
COALESCE_WAIT_SECONDS = bus.COALESCE_WAIT_SECONDS


def use_delivery(way: str) -> None:
    # "skipped" is no product setting: it shows what the delivery thread's work costs the requests.
    bus.deliver = DELIVER if way == "delivered" else (lambda ids, rows=None: None)


def use_coalescing(way: str) -> None:
    bus.COALESCE_WAIT_SECONDS = COALESCE_WAIT_SECONDS if way == "coalesced" else 0.0


# The ways compared on API creations: (name of the new way, name of the old way, switch).
COMPARED = {"rows": ("json", "values", use), "one_statement": ("one_statement", "three_statements", use_path),
            "prepared": ("prepared", "sent_whole", use_prepared),
            "delivery": ("delivered", "skipped", use_delivery), "coalescing": ("coalesced", "at_once", use_coalescing)}


def new_rows(case: Case, calendar: Calendar, policy: Policy, actor: User) -> tuple[list[Clock], list[CaseEvent]]:
    """Two clocks and three events shaped like a new case's (the clocks under kinds no case uses)."""
    at = case.created_at
    clocks = [Clock(case=case, kind=kind, calendar=calendar, policy=policy, priority=case.priority, state="running",
                    target_seconds=3600, started_at=at, due_at=at, next_check_at=at, checkpoints=[75, 100], fired=0,
                    paused_seconds=0.0)
              for kind in ("bench_first", "bench_resolution")]
    events = []
    for n in range(3):
        event = CaseEvent(case=case, kind="sla" if n else "created", occurred_at=at, visibility="public", reason="",
                          before={}, after={"state": case.state, "subject": case.subject, "priority": case.priority},
                          data={"type": "started", "clock": None, "kind": "bench", "due_at": at.isoformat()} if n else {})
        event.set_actor(Actor.of(actor))
        events.append(event)
    return clocks, events


def bench_write(writes: int, rounds: int) -> dict:
    case = Case.objects.filter(subject__startswith="[bench]").order_by("-id").first()
    calendar = Calendar.objects.order_by("id").first()
    policy = Policy.objects.order_by("id").first()
    actor = User.objects.filter(username__startswith=f"{bench_seed.PREFIX}-customer-").order_by("id").first()
    samples: dict[str, list[tuple[float, float]]] = {"json": [], "values": []}
    for round_ in range(rounds):
        for form in (("values", "json") if round_ % 2 == 0 else ("json", "values")):
            use(form)
            for _ in range(writes):
                clocks, events = new_rows(case, calendar, policy, actor)
                wrap = {1: {(1 + n, "data"): (CLOCK_ID, [case.pk, clock.kind]) for n, clock in enumerate(clocks)}}
                with transaction.atomic():
                    cpu, wall = time.thread_time(), time.perf_counter()
                    inserts.insert_new_together(clocks, events, wrap=wrap)
                    samples[form].append(((time.thread_time() - cpu) * 1e6, (time.perf_counter() - wall) * 1e6))
                    assert all(e.pk for e in events) and all(c.pk for c in clocks)
                    transaction.set_rollback(True)
    use("json")
    return {form: {"cpu_us_median": round(statistics.median(c for c, _ in rows)),
                   "wall_us_median": round(statistics.median(w for _, w in rows)), "writes": len(rows)}
            for form, rows in samples.items()}


def bench_creation(pairs: int, block: int, steps: list[str]) -> dict:
    bench_cases.sla_policies()
    bus.background_start()
    customers = list(User.objects.filter(username__startswith=f"{bench_seed.PREFIX}-customer-").order_by("id")[:50])
    clients = [bench_cases.client_for(c) for c in customers]
    for client in clients[1:]:
        client.handler = clients[0].handler  # one request handler, as one server process has
    products = list(Product.objects.filter(slug__startswith="bench-product-").values_list("id", flat=True))
    categories = list(Category.objects.filter(slug__startswith="bench-", parent__isnull=False)
                      .values_list("id", flat=True))
    rng = random.Random(pairs * block)
    posted = 0

    def post() -> None:
        nonlocal posted
        posted += 1
        payload = {"subject": f"Created through the API {posted}", "description": "The export fails with a timeout.",
                   "priority": rng.choice(["P2", "P3", "P4"]), "product": rng.choice(products),
                   "category": rng.choice(categories), "tags": rng.sample(bench_seed.TAGS, k=rng.choice([0, 1, 2]))}
        response = clients[posted % len(clients)].post("/api/v1/cases/", payload, format="json")
        assert response.status_code == 201, response.content[:300]

    for _ in range(30):  # warm-up: imports, connection, caches
        post()
    assert bus.background_drain(120)
    out = {}
    for step in steps:
        new_way, old_way, switch = COMPARED[step]
        rates: dict[str, list[float]] = {new_way: [], old_way: []}
        ratios = []
        for pair in range(pairs):
            got = {}
            for way in ((old_way, new_way) if pair % 2 == 0 else (new_way, old_way)):
                switch(way)
                started = time.perf_counter()
                for _ in range(block):
                    post()
                assert bus.background_drain(120)  # every creation's events delivered, as bench_cases.py counts
                got[way] = block / (time.perf_counter() - started)
                rates[way].append(round(got[way], 1))
            ratios.append(round(got[new_way] / got[old_way], 3))
        switch(new_way)
        out[step] = {"block": block, "pairs": pairs, "ratio_median": round(statistics.median(ratios), 3),
                     "ratios": ratios, **{f"{way}_median_per_second": round(statistics.median(r), 1)
                                          for way, r in rates.items()}, "rates": rates}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="JSON rows against VALUES (PostgreSQL).")
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--block", type=int, default=150)
    parser.add_argument("--steps", default=",".join(COMPARED), help=f"comma-separated, of {', '.join(COMPARED)}")
    args, _ = parser.parse_known_args()  # make bench passes every script the same arguments
    steps = [s for s in args.steps.split(",") if s]
    if unknown := set(steps) - set(COMPARED):
        raise SystemExit(f"unknown steps: {', '.join(sorted(unknown))}")
    if not settings.IS_POSTGRES:
        raise SystemExit("bench_inserts.py needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    bench_seed.seed(10_000, log=lambda m: print(m, flush=True))
    write = bench_write(args.writes, args.rounds) if "rows" in steps else {}  # the write alone: rows' forms
    for form, figures in write.items():
        print(f"  write, {form:<6}  CPU {figures['cpu_us_median']} us  wall {figures['wall_us_median']} us", flush=True)
    creation = bench_creation(args.pairs, args.block, steps)
    for step in steps:
        new_way, old_way, _ = COMPARED[step]
        figures = creation[step]
        print(f"  creation, {new_way}/{old_way}: {figures['ratio_median']} (median of {args.pairs} pairs); "
              f"{figures[f'{new_way}_median_per_second']} vs {figures[f'{old_way}_median_per_second']} cases/s",
              flush=True)
    results = {"machine": bench_cases.machine(), "load_average": os.getloadavg(), "write": write,
               "creation": creation, "command": " ".join(["bench/bench_inserts.py", *sys.argv[1:]])}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
