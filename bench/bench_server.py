"""Case creation through the real web server: one uvicorn process, clients in another process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_bench_10k REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/bench_server.py     (options: --creates 1500 --rounds 3 --clients 1,2,4)

`bench_cases.py` calls the API inside its own process; this one starts the web process as
production runs it (`uvicorn helpdesk.asgi:application`, `docker-compose.yml`) and sends
`POST /api/v1/cases/` over HTTP from this process, which is not the server: with one
client one request after another, with several clients that many at once (each on its
own keep-alive connection). The payloads, customers and SLA policies are those of
`bench_cases.py`. Two applications, alternated `--rounds` times, each on a server
started afresh:

- `helpdesk`: `helpdesk.asgi`, HTTP on a fixed pool of request threads
  (`helpdesk.wsgi_bridge`, one hop each way) that keep their database connections;
- `django-asgi`: the same with Django's own ASGI handler for HTTP (`asgi_django_http.py`),
  as before: a new thread per request, so a new database connection per request.

For each run: creations per second (the clock stops at the last answer; the server
delivers each creation's events meanwhile, in the same process), median and p95 latency,
the server process's CPU per creation, the clients' (this process's) CPU per creation,
and how many database connections the server opened (PostgreSQL's
`pg_stat_database.sessions`). It seeds the 10k bench data (bench/seed.py)
when the database has none. Writes bench/results/server.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import bench_cases  # noqa: E402  (sets Django up)
import seed as bench_seed  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from tickets.models import Category, Product, User  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "server.json"
APPS = {"helpdesk": "helpdesk.asgi:application", "django-asgi": "asgi_django_http:application"}
PORT = 8791


def _sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`uvicorn <app>` on 127.0.0.1:PORT, as in docker-compose.yml (one process)."""

    def __init__(self, app: str):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
               "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "localhost,127.0.0.1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(PORT), "--lifespan", "on",
             "--no-access-log", "--log-level", "warning"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown: the lifespan drains delivery
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _payloads(count: int) -> list[bytes]:
    products = list(Product.objects.filter(slug__startswith="bench-product-").values_list("id", flat=True))
    categories = list(Category.objects.filter(slug__startswith="bench-", parent__isnull=False)
                      .values_list("id", flat=True))
    rng = random.Random(count)
    return [json.dumps({"subject": f"Created through the server {i}", "description": "The export fails with a timeout.",
                        "priority": rng.choice(["P2", "P3", "P4"]), "product": rng.choice(products),
                        "category": rng.choice(categories),
                        "tags": rng.sample(bench_seed.TAGS, k=rng.choice([0, 1, 2]))}).encode()
            for i in range(count)]


def run(app: str, payloads: list[bytes], tokens: list[str], clients: int) -> dict:
    local = threading.local()
    times: list[float] = []
    failures: list[str] = []

    def post(i: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        conn.request("POST", "/api/v1/cases/", body=payloads[i % len(payloads)],
                     headers={"Content-Type": "application/json", "Host": "localhost",
                              "Authorization": f"Token {tokens[i % len(tokens)]}"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            failures.append(f"{response.status} {body[:200]!r}")

    def share(k: int, count: int) -> None:
        for i in range(k, count, clients):
            started = time.perf_counter()
            post(i)
            times.append((time.perf_counter() - started) * 1000)

    before = _sessions()
    server = Server(APPS[app])
    try:
        for i in range(20):  # warm-up: imports, connections, caches
            post(len(payloads) - 1 - i)
        times.clear()
        cpu = _cpu_seconds(server.proc.pid)
        client_cpu = time.process_time()
        started = time.perf_counter()
        workers = [threading.Thread(target=share, args=(k, len(payloads) - 20)) for k in range(clients)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        cpu = _cpu_seconds(server.proc.pid) - cpu
    finally:
        server.stop()
    assert not failures, failures[:3]
    count = len(times)
    times.sort()
    return {"app": app, "clients": clients, "count": count, "per_second": round(count / wall, 1),
            "median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(count * 0.95) - 1], 2),
            "server_cpu_ms_per_creation": round(cpu / count * 1000, 3),
            "client_cpu_ms_per_creation": round(client_cpu / count * 1000, 3),
            "database_connections_opened": _sessions() - before}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default="1,2,4")
    parser.add_argument("--apps", default="helpdesk,django-asgi")
    args = parser.parse_args()
    bench_seed.seed(10_000, log=lambda m: print(m, flush=True))
    bench_cases.sla_policies()
    customers = User.objects.filter(username__startswith=f"{bench_seed.PREFIX}-customer-").order_by("id")[:50]
    tokens = [Token.objects.get_or_create(user=c)[0].key for c in customers]
    payloads = _payloads(args.creates + 20)
    runs = []
    for round_ in range(args.rounds):
        for clients in [int(c) for c in args.clients.split(",")]:
            apps = args.apps.split(",")
            for app in apps if round_ % 2 == 0 else apps[::-1]:
                result = {"round": round_, **run(app, payloads, tokens, clients)}
                runs.append(result)
                print(f"  round {round_} {app:<12} {clients} client(s): {result['per_second']} cases/s, "
                      f"median {result['median_ms']} ms, p95 {result['p95_ms']} ms, "
                      f"server CPU {result['server_cpu_ms_per_creation']} ms/case, "
                      f"client CPU {result['client_cpu_ms_per_creation']} ms/case, "
                      f"{result['database_connections_opened']} connections", flush=True)
    summary = {}
    for app in args.apps.split(","):
        for clients in [int(c) for c in args.clients.split(",")]:
            mine = [r for r in runs if r["app"] == app and r["clients"] == clients]
            summary[f"{app}/{clients}"] = {
                "per_second_median": statistics.median(r["per_second"] for r in mine),
                "per_second": [r["per_second"] for r in mine],
                "median_ms": statistics.median(r["median_ms"] for r in mine),
                "server_cpu_ms_per_creation": statistics.median(r["server_cpu_ms_per_creation"] for r in mine),
                "client_cpu_ms_per_creation": statistics.median(r["client_cpu_ms_per_creation"] for r in mine),
                "database_connections_opened": statistics.median(r["database_connections_opened"] for r in mine),
            }
    results = {"machine": bench_cases.machine(), "load_average": os.getloadavg(),
               "command": " ".join(["bench/bench_server.py", *sys.argv[1:]]), "summary": summary, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for key, figures in summary.items():
        print(f"{key:<16} {figures['per_second_median']} cases/s {figures['per_second']}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
