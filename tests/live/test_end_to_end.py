"""An SLA breach fired by a real Celery worker reaches the manager board on a real uvicorn.

Both ways of moving events between processes are covered: Redis (the worker publishes to
the channel layer itself) and the embedded default (no Redis: the ASGI process relays
from the event log; the broker is kombu's filesystem transport).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from helpdesk import clock
from sla.models import TargetKind
from sla.services.policies import calendar_define, policy_define
from tests.live.servers import server_env, stop, uvicorn
from tickets.services.cases import case_create

# One port per mode: the first mode's server may still be closing its sockets.
PORTS = {"direct": 8161, "relay": 8164}
QUEUE = "live-e2e"


def _celery(*args, env, cwd):
    # cwd is a temporary folder: the filesystem transport writes its control files there.
    return [sys.executable, "-m", "celery", "-A", "helpdesk", *args], {"cwd": cwd, "env": env}


@pytest.mark.parametrize("mode", ["direct", "relay"])
def test_a_breach_fired_by_the_worker_reaches_the_manager_board(
    mode, needs_postgres, needs_redis, transactional_db, manager, support_team, customer, tmp_path
):
    calendar = calendar_define(name="24x7", always=True)
    policy_define(name="One minute", is_default=True, targets=[("P3", TargetKind.FIRST_RESPONSE, 1, calendar)])
    with time_machine.travel(clock.now() - timedelta(minutes=2)):
        case = case_create(requester=customer, subject="Nobody answered", team=support_team, actor=customer)
    client = Client()
    client.force_login(manager)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = server_env(redis=mode == "direct", data_dir=tmp_path, CONN_MAX_AGE="0")
    if mode == "direct":
        needs_redis.delete(QUEUE)  # a stale task from an aborted run must not be replayed
    args, kwargs = _celery("worker", "--pool", "solo", "-Q", QUEUE, "--without-heartbeat", "--without-gossip",
                           "--without-mingle", "--loglevel", "WARNING", env=env, cwd=tmp_path)
    worker = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    try:
        with uvicorn(PORTS[mode], env):
            frame = asyncio.run(_watch_sla_board(PORTS[mode], cookie, env, tmp_path))
    finally:
        stop(worker)
    assert frame["event"]["kind"] == "sla" and frame["event"]["data"]["target"] == "first_response"
    assert frame["event"]["actor_kind"] == "sla"
    assert frame["case"]["reference"] == case.reference


async def _watch_sla_board(port, cookie, env, tmp_path) -> dict:
    """Subscribe to the manager SLA board, have the worker run the SLA sweep, return the breach frame."""
    import websockets

    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie}, open_timeout=10,
    ) as ws:
        await ws.send(json.dumps({"type": "subscribe", "board": "sla"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"
        # The worker process runs the sweep; this process only queues it.
        args, kwargs = _celery("call", "sla.sweep_clocks", "--queue", QUEUE, env=env, cwd=tmp_path)
        await asyncio.to_thread(subprocess.run, args, check=True, capture_output=True, timeout=60, **kwargs)
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if frame["type"] == "event" and frame["event"]["data"].get("type") == "breach":
                return frame
