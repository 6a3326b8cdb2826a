"""A change made by a real Celery worker reaches a board socket on a real uvicorn server.

Both ways of moving events between processes are covered: Redis (the worker publishes to
the channel layer itself) and the embedded default (no Redis: the ASGI process relays
from the event log, the broker is kombu's filesystem transport).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from tests.live.servers import ROOT, server_env, stop, uvicorn
from tickets.services.cases import case_create

PORT = int(os.environ.get("HELPDESK_LIVE_TEST_PORT", "8161"))
QUEUE = "live-e2e"


@pytest.mark.parametrize("mode", ["direct", "relay"])
def test_a_change_made_in_the_worker_reaches_the_manager_board(
    mode, needs_postgres, needs_redis, transactional_db, manager, agent, support_team, customer, tmp_path
):
    case = case_create(requester=customer, subject="Worker-side change", team=support_team, actor=customer)
    client = Client()
    client.force_login(manager)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = server_env(redis=mode == "direct", data_dir=tmp_path)
    if mode == "direct":
        needs_redis.delete(QUEUE)  # a stale task from an aborted run must not be replayed
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.live.worker_app", "worker", "--pool", "solo", "-Q", QUEUE,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        with uvicorn(PORT, env):
            frame = asyncio.run(_watch_sla_board(cookie, case, agent, env))
    finally:
        stop(worker)
    assert frame["event"]["kind"] == "transition"
    assert frame["case"]["reference"] == case.reference and frame["case"]["state"] == "triaged"
    assert frame["event"]["actor"]["id"] == agent.pk


async def _watch_sla_board(cookie, case, agent, env) -> dict:
    """Subscribe to the manager SLA board, have the worker change the case, return the event frame."""
    import websockets

    async with websockets.connect(
        f"ws://127.0.0.1:{PORT}/ws/live/", origin=f"http://127.0.0.1:{PORT}",
        additional_headers={"Cookie": cookie}, open_timeout=10,
    ) as ws:
        await ws.send(json.dumps({"type": "subscribe", "board": "sla"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"
        # The worker process makes the change; this process only queues the task.
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "celery", "-A", "tests.live.worker_app", "call", "tests.live.transition",
             "--args", json.dumps([case.pk, "triage", agent.pk]), "--queue", QUEUE],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
        )
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if frame["type"] == "event":
                return frame
