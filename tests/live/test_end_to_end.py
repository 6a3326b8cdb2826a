"""A change made by a real Celery worker reaches a board socket on a real uvicorn server.

Both ways of moving events between processes are covered: Redis (the worker publishes to
the channel layer itself) and the embedded default (no Redis: the ASGI process relays
from the event log, the broker is kombu's filesystem transport).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tickets.services.cases import case_create

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("HELPDESK_LIVE_TEST_PORT", "8161"))
QUEUE = "live-e2e"


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(mode: str, data_dir: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": _database_url(), "HELPDESK_DATA_DIR": str(data_dir),
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    if mode == "relay":
        env.pop("REDIS_URL", None)
        env["HELPDESK_LIVE_RELAY_INTERVAL"] = "0.1"
    else:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


def _wait_for_port(proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("uvicorn did not answer")


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("mode", ["direct", "relay"])
def test_a_change_made_in_the_worker_reaches_the_manager_board(
    mode, needs_postgres, needs_redis, transactional_db, manager, agent, support_team, customer, tmp_path
):
    import websockets

    case = case_create(requester=customer, subject="Worker-side change", team=support_team, actor=customer)
    client = Client()
    client.force_login(manager)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = _env(mode, tmp_path)
    if mode == "direct":
        needs_redis.delete(QUEUE)  # a stale task from an aborted run must not be replayed
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", PORT)) != 0, f"port {PORT} is taken"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port", str(PORT),
         "--lifespan", "off", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.live.worker_app", "worker", "--pool", "solo", "-Q", QUEUE,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(server)

        async def scenario():
            async with websockets.connect(
                f"ws://127.0.0.1:{PORT}/ws/live/", origin=f"http://127.0.0.1:{PORT}",
                additional_headers={"Cookie": cookie}, open_timeout=10,
            ) as ws:
                await ws.send(json.dumps({"type": "subscribe", "board": "sla"}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"
                # The worker process makes the change; this process only asks for it.
                subprocess.run(
                    [sys.executable, "-m", "celery", "-A", "tests.live.worker_app", "call", "tests.live.transition",
                     "--args", json.dumps([case.pk, "triage", agent.pk]), "--queue", QUEUE],
                    cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
                )
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if frame["type"] == "event":
                        return frame

        frame = asyncio.run(scenario())
        assert frame["event"]["kind"] == "transition"
        assert frame["case"]["reference"] == case.reference and frame["case"]["state"] == "triaged"
        assert frame["event"]["actor"]["id"] == agent.pk
    finally:
        _stop(worker)
        _stop(server)
