"""Real servers for the slow live tests: uvicorn on the test database, stopped by the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """Return a URL for the database the tests run on (test_<name>), for subprocesses."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(*, redis: bool, data_dir: Path, **extra) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), "HELPDESK_DATA_DIR": str(data_dir),
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **extra}
    if redis:
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
        env["HELPDESK_LIVE_RELAY_INTERVAL"] = "0.1"
    return env


@contextmanager
def uvicorn(port: int, env: dict):
    """Run the ASGI app on 127.0.0.1:`port` until the block ends."""
    deadline = time.monotonic() + 20
    while _listening(port):  # a server stopped by the previous test may still be exiting
        assert time.monotonic() < deadline, f"port {port} is taken"
        time.sleep(0.2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--lifespan", "on", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {proc.stdout.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not answer") from None
                time.sleep(0.2)
        yield proc
    finally:
        stop(proc)


def stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
