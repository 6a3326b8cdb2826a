"""Instructions per case creation through the API, counted by callgrind: work that does not move with the machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_instr REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/bench_instructions.py [--creates 200] [--against REF]

The timed benchmarks (bench_cases.py, bench_server.py) say how many cases a second one
process creates, but on a shared machine the same code runs up to 40% faster or slower
from one hour to the next, and a change worth a few percent is lost in that. Valgrind's
callgrind counts the instructions a process executes instead (Python, its C extensions,
the database driver): for the same code and data the count repeats to within 0.2%,
whatever else the machine is doing. It does not count the database server's own work
(another process) nor time spent waiting; `bench_cases.py` measures those.

For this checkout, and with `--against` for a git ref checked out in a temporary
worktree too (its count first, in the same run), the script:
- creates a fresh database named after DATABASE_URL's with `_instr` added, migrates it
  and seeds 10,000 cases (`bench/seed.py`), with the SLA policies of `bench_cases.py`;
- starts the event delivery thread as the web process does, and warms up with 60
  creations;
- counts the instructions of `--creates` creations by 50 customers through the API (in
  process, DRF's test client with token authentication, one after another, as
  `bench_cases.py` does), the delivery of their events included (the live boards'
  publication to Redis when REDIS_URL is set, automation, webhooks, feedback).

Under callgrind the process runs about 40 times slower. So that the count is the work of a
process at full speed, the copies and caches that expire after a time (the process's copy
of SLA policies, products and categories; verified API tokens) are held for the run, and
the delivery thread's coalescing window is stretched 40 times, as if the creations came
at full speed. So that it does not depend on when it is made, the application's clock
(`helpdesk.clock`) starts at the same instant in every run (a Tuesday, 10:00 UTC, inside
the business hours of the SLA calendars) and runs 40 times slower, and Python's string
hashing is seeded alike (`PYTHONHASHSEED=0`).

Writes bench/results/instructions.json: per checkout, instructions per creation in all,
on the request thread and on the others (delivery and publication). Needs valgrind
(`apt-get install valgrind`) and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "instructions.json"
WARM_UP = 60
SLOWDOWN = 40  # how much slower the program runs under callgrind, for the coalescing window


def _database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _fresh_database(url: str) -> str:
    """Create (or recreate) the benchmark's own database next to DATABASE_URL's; return its URL."""
    import psycopg

    name = urlsplit(url).path.lstrip("/") + "_instr"
    with psycopg.connect(_database_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _database_url(url, name)


def _totals(out: Path) -> dict[str, int]:
    """Instructions per thread from callgrind's files (`out`, `out-01`, `out-02`, ...)."""
    counts = {}
    for path in sorted(out.parent.glob(out.name + "*")):
        for line in path.read_text().splitlines():
            if line.startswith("totals:"):
                counts[path.name.removeprefix(out.name).lstrip("-") or "all"] = int(line.split()[1])
    return counts


def measure(checkout: Path, creates: int, database_url: str, label: str) -> dict:
    """Seed a fresh database for `checkout` and count its creations under callgrind."""
    env = {**os.environ, "DATABASE_URL": _fresh_database(database_url), "PYTHONHASHSEED": "0"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=checkout, env=env, check=True)
    child = [str(Path(__file__).resolve()), "--child", str(checkout), "--creates", str(creates)]
    subprocess.run([python, *child, "--seed-only"], cwd=checkout, env=env, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        started = time.perf_counter()
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
                        f"--callgrind-out-file={out}", python, *child],
                       cwd=checkout, env=env, check=True, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        threads = _totals(out)
    request = threads.get("01", 0)
    total = sum(threads.values())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                            text=True).stdout.strip()
    result = {"label": label, "commit": commit, "creates": creates,
              "instructions_per_creation": round(total / creates),
              "request_thread_per_creation": round(request / creates),
              "other_threads_per_creation": round((total - request) / creates),
              "threads": len(threads), "seconds": round(seconds, 1)}
    print(f"  {label:<10} {commit:<10} {result['instructions_per_creation']:>12,} instructions per creation "
          f"(request thread {result['request_thread_per_creation']:,}, "
          f"others {result['other_threads_per_creation']:,})", flush=True)
    return result


def child(checkout: Path, creates: int, seed_only: bool) -> None:
    """Run inside callgrind (or, with --seed-only, before it): the creations of one checkout."""
    sys.path[:0] = [str(checkout), str(checkout / "bench")]
    os.chdir(checkout)
    sys.argv = [sys.argv[0]]
    import random

    import bench_cases as bc  # this checkout's: Django set up with its settings

    if seed_only:
        bc.bench_seed.seed(10_000, log=lambda m: None)
        return
    from datetime import UTC, datetime, timedelta

    from django.conf import settings

    from helpdesk import bus, clock, process_copy

    # Held as at full speed (see the module's docstring).
    for copy in process_copy._all:
        copy.seconds = 1e9
    settings.API_TOKEN_CACHE_SECONDS = 1e9
    bus.COALESCE_WAIT_SECONDS *= SLOWDOWN
    # The same hour of the same working day in every run, passing as at full speed: due
    # times on business-hours calendars take the same steps whenever the run is made.
    opened, started = datetime(2026, 11, 24, 10, 0, tzinfo=UTC), time.monotonic()
    clock.now = lambda: opened + timedelta(seconds=(time.monotonic() - started) / SLOWDOWN)
    bc.sla_policies()
    bus.background_start()
    customers = list(bc.User.objects.filter(username__startswith=f"{bc.bench_seed.PREFIX}-customer-").order_by("id")[:50])
    clients = [bc.client_for(c) for c in customers]
    for client in clients[1:]:
        client.handler = clients[0].handler
    products = list(bc.Product.objects.filter(slug__startswith="bench-product-").order_by("id").values_list("id", flat=True))
    categories = list(bc.Category.objects.filter(slug__startswith="bench-", parent__isnull=False).order_by("id")
                      .values_list("id", flat=True))
    rng = random.Random(creates)
    payloads = [{"subject": f"Created through the API {i}", "description": "The export fails with a timeout.",
                 "priority": rng.choice(["P2", "P3", "P4"]), "product": rng.choice(products),
                 "category": rng.choice(categories), "tags": rng.sample(bc.bench_seed.TAGS, k=rng.choice([0, 1, 2]))}
                for i in range(WARM_UP + creates)]
    for i in range(WARM_UP):
        assert clients[i % 50].post("/api/v1/cases/", payloads[i], format="json").status_code == 201
    assert bus.background_drain(600)
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    for i in range(WARM_UP, WARM_UP + creates):
        response = clients[i % 50].post("/api/v1/cases/", payloads[i], format="json")
        assert response.status_code == 201, response.content[:300]
    assert bus.background_drain(600)
    subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Instructions per API case creation, counted by callgrind.")
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--against", help="a git ref to count too, first, in a temporary worktree")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.creates, args.seed_only)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_instructions.py needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("bench_instructions.py needs valgrind (apt-get install valgrind)")
    runs = []
    if args.against:
        worktree = Path(tempfile.mkdtemp(prefix="helpdesk-against-"))
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), args.against], cwd=ROOT, check=True)
        try:
            runs.append(measure(worktree, args.creates, url, args.against))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
    runs.append(measure(ROOT, args.creates, url, "this"))
    results = {"command": " ".join(["bench/bench_instructions.py", *sys.argv[1:]]), "runs": runs,
               "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip(),
               "python": sys.version.split()[0]}
    if len(runs) == 2:
        results["ratio"] = round(runs[1]["instructions_per_creation"] / runs[0]["instructions_per_creation"], 4)
        print(f"  this / {args.against}: {results['ratio']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
