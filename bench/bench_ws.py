"""Live boards under load: WebSocket clients on one uvicorn process while cases change.

    .venv/bin/python bench/bench_ws.py [--clients 500] [--rate 50] [--seconds 20] [--mode direct|relay]

Seeds (idempotently) ten support teams with fifty agents each and a few open cases, starts
one uvicorn process, opens one team-board socket per agent (signed in with a real session
cookie), then a separate process changes cases through the services at `--rate` per
second. Each client records, for every event it receives, now minus the event's
`occurred_at` (written inside the changing transaction, so the figure includes the commit,
the publication and the fan-out). Memory per connection is the server's RSS growth from
before the first socket to after the last subscription, divided by the clients.

Needs DATABASE_URL (PostgreSQL) and, for --mode direct, REDIS_URL. Writes bench/results/ws.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

TEAMS = 10
CASES_PER_TEAM = 20
PREFIX = "bench-ws"


def django_setup():
    import django

    django.setup()


def seed(clients: int) -> tuple[list[str], list[int]]:
    """Create the teams, agents, sessions and cases; return one session key per client and the case ids."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tickets.models import Case, Role, User
    from tickets.services.cases import case_create
    from workflows.models import Membership, Team

    teams = [Team.objects.get_or_create(slug=f"{PREFIX}-{i}", defaults={"name": f"Bench WS team {i}"})[0]
             for i in range(TEAMS)]
    customer, _ = User.objects.get_or_create(username=f"{PREFIX}-customer", defaults={"role": Role.CUSTOMER})
    sessions, case_ids = [], []
    for n in range(clients):
        user, created = User.objects.get_or_create(username=f"{PREFIX}-agent-{n}", defaults={"role": Role.AGENT})
        if created:
            user.set_password("bench-Password-1")
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(team=teams[n % TEAMS], user=user)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    for team in teams:
        open_cases = list(Case.objects.filter(team=team, state="new").values_list("id", flat=True)[:CASES_PER_TEAM])
        for _ in range(CASES_PER_TEAM - len(open_cases)):
            open_cases.append(case_create(requester=customer, subject="Bench case", team=team, actor=customer).pk)
        case_ids += open_cases
    return sessions, case_ids


def change_cases(case_ids: list[int], rate: float, seconds: float) -> None:
    """Change cases through the services at `rate` per second (runs in its own process)."""
    import random

    from tickets.models import Case
    from tickets.services.cases import case_update, comment_add

    actor_by_case = {}
    for case in Case.objects.filter(pk__in=case_ids).select_related("team"):
        actor_by_case[case.pk] = case.team.memberships.first().user
    turn: dict[int, int] = {}
    start, n = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        due = start + n / rate
        if due > time.perf_counter():
            time.sleep(due - time.perf_counter())
        case_id = random.choice(case_ids)
        actor = actor_by_case[case_id]
        if n % 2:
            comment_add(case=case_id, author=actor, body=f"bench note {n}", public=False)
        else:
            # Cycle per case so every update really changes the priority (and makes an event).
            turn[case_id] = turn.get(case_id, 0) + 1
            case_update(case=case_id, actor=actor, changes={"priority": ("P2", "P4", "P3")[turn[case_id] % 3]})
        n += 1
    print(json.dumps({"changes": n, "seconds": round(elapsed, 2)}))


def _latest_event_id() -> int:
    from helpdesk.live.relay import latest_event_id

    return latest_event_id()


def _events_since(first_id: int, team_slugs: list[str]) -> int:
    """Count the events the changes made (an unchanged priority makes none)."""
    from django.db import connection

    from tickets.models import CaseEvent

    try:
        return CaseEvent.objects.filter(id__gt=first_id, team__slug__in=team_slugs).count()
    finally:
        connection.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def run_clients(port: int, sessions: list[str], team_slugs: list[str], server_pid: int, args) -> dict:
    import websockets

    latencies: list[float] = []
    received = {"events": 0}
    ready = asyncio.Event()
    subscribed = {"n": 0}
    stop = asyncio.Event()

    async def client(i: int, session: str):
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"}, open_timeout=60, max_queue=None,
        ) as ws:
            await ws.send(json.dumps({"type": "subscribe", "board": "team", "key": team_slugs[i % len(team_slugs)]}))
            first = json.loads(await ws.recv())
            assert first["type"] == "subscribed", first
            subscribed["n"] += 1
            if subscribed["n"] == len(sessions):
                ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1)
                except asyncio.TimeoutError:
                    continue
                now = time.time()
                # Read only what the measure needs, so the 500 clients sharing this process
                # (and two cores with the server) add as little delay of their own as possible.
                if raw.startswith('{"type":"event"'):
                    at = raw.index('"occurred_at":"') + 15
                    occurred = datetime.fromisoformat(raw[at:raw.index('"', at)]).timestamp()
                    latencies.append((now - occurred) * 1000)
                    received["events"] += 1

    rss_before = rss_kib(server_pid)
    tasks = []
    for start in range(0, len(sessions), 50):  # connect in waves, as browsers would over a minute
        tasks += [asyncio.create_task(client(i, sessions[i])) for i in range(start, min(start + 50, len(sessions)))]
        await asyncio.sleep(0.2)
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(2)
    rss_after = rss_kib(server_pid)
    first_id = await asyncio.to_thread(_latest_event_id)
    changer = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--change", json.dumps(args.case_ids), "--rate", str(args.rate),
        "--seconds", str(args.seconds), env=args.env, stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await changer.communicate()
    await asyncio.sleep(2)  # let the last events arrive
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    changes = json.loads(out.decode().strip().splitlines()[-1])
    events = await asyncio.to_thread(_events_since, first_id, team_slugs)
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else None

    per_team = len(sessions) / TEAMS
    return {
        "clients": len(sessions),
        "changes": changes["changes"],
        "change_rate_per_s": round(changes["changes"] / changes["seconds"], 1),
        "events": events,
        "deliveries_expected": int(events * per_team),
        "deliveries_received": received["events"],
        "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0),
                       "mean": round(statistics.fmean(latencies), 1) if latencies else None},
        "server_rss_mib": {"before": round(rss_before / 1024, 1), "after_subscribe": round(rss_after / 1024, 1)},
        "memory_per_connection_kib": round((rss_after - rss_before) / len(sessions), 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--mode", choices=["direct", "relay"], default="direct")
    parser.add_argument("--port", type=int, default=8162)
    parser.add_argument("--change", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ws.json"))
    parser.add_argument("--key", help="name of the entry in the JSON (default: the mode)")
    args = parser.parse_args()
    django_setup()
    if args.change:
        change_cases(json.loads(args.change), args.rate, args.seconds)
        return
    from django.conf import settings

    if not settings.IS_POSTGRES:
        sys.exit("bench_ws measures on PostgreSQL: set DATABASE_URL")
    if args.mode == "direct" and not settings.REDIS_URL:
        sys.exit("--mode direct needs REDIS_URL")
    sessions, case_ids = seed(args.clients)
    args.case_ids = case_ids
    env = {**os.environ, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    if args.mode == "relay":
        env.pop("REDIS_URL", None)  # in-memory layer: the ASGI process relays from the event log
    args.env = env
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port",
         str(args.port), "--lifespan", "on", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        slugs = [f"{PREFIX}-{i}" for i in range(TEAMS)]
        result = asyncio.run(run_clients(args.port, sessions, slugs, server.pid, args))
    finally:
        server.terminate()
        server.wait(15)
    result.update({
        "mode": args.mode, "server": "uvicorn (1 process)", "channel_layer": "redis" if args.mode == "direct" else "in-memory + relay",
        "teams": TEAMS, "target": {"p95_ms": 100, "rate_per_s": args.rate},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    })
    result["target_met"] = bool(result["latency_ms"]["p95"] is not None and result["latency_ms"]["p95"] < 100
                                and result["deliveries_received"] >= result["deliveries_expected"])
    out = Path(args.out)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[args.key or args.mode] = result
    out.write_text(json.dumps(existing, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
