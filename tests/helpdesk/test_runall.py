"""The embedded default for real: a Celery worker and beat on kombu's filesystem transport
with a SQLite file, and `manage.py runall` starting and stopping everything.

These start real processes with their own environment (a SQLite file and a broker folder
in the test's temporary directory), so they run the same with or without PostgreSQL and
Redis configured for the rest of the suite.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """Return a SQLite file with every migration applied, made once for this module."""
    folder = tmp_path_factory.mktemp("embedded")
    database = folder / "template.sqlite3"
    env = _embedded_env(folder, database)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return database


def _embedded_env(folder: Path, database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "HELPDESK_REQUIRE_SERVICES")}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL="",
        HELPDESK_DATA_DIR=str(folder / "var"),
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _fresh_copy(template: Path, folder: Path) -> Path:
    database = folder / "helpdesk.sqlite3"
    database.write_bytes(template.read_bytes())
    return database


def _heartbeats(database: Path) -> dict[str, str]:
    with sqlite3.connect(database, timeout=10) as connection:
        return dict(connection.execute("SELECT source, ran_at FROM helpdesk_heartbeat").fetchall())


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def _group_members(pgid: int) -> list[int]:
    """Return the pids of live processes in process group `pgid` (zombies count as gone)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def test_worker_and_beat_run_web_and_scheduled_tasks_on_the_filesystem_broker(migrated_sqlite, tmp_path):
    database = _fresh_copy(migrated_sqlite, tmp_path)
    env = _embedded_env(tmp_path, database, HELPDESK_HEARTBEAT_SECONDS="1")
    for folder in ("broker/out", "broker/processed"):
        (tmp_path / "var" / folder).mkdir(parents=True, exist_ok=True)
    celery = [PYTHON, "-m", "celery", "-A", "helpdesk"]
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("worker", "beat")}
    worker = subprocess.Popen(celery + ["worker", "--concurrency", "1", "--without-mingle", "--without-gossip",
                                        "--loglevel", "INFO"],
                              cwd=ROOT, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT, start_new_session=True)
    beat = subprocess.Popen(celery + ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "var" / "schedule")],
                            cwd=ROOT, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # The web side: Django settings, the project's Celery app, a message on the broker.
        subprocess.run([PYTHON, "manage.py", "shell", "-c",
                        "from helpdesk.tasks import heartbeat_send; heartbeat_send('web')"],
                       cwd=ROOT, env=env, check=True, timeout=60)
        seen = _wait_for(lambda: (lambda rows: rows if {"web", "beat"} <= rows.keys() else None)(_heartbeats(database)),
                         90, "the worker to run the web's task and beat's scheduled task")
        assert set(seen) == {"web", "beat"}
        first_beat = seen["beat"]
        # Beat keeps sending on its schedule, and the worker keeps running what it sends.
        _wait_for(lambda: _heartbeats(database)["beat"] != first_beat, 30, "a second scheduled run")
    finally:
        for process in (beat, worker):
            _stop(process)
        for log in logs.values():
            log.close()
    worker_log = (tmp_path / "worker.log").read_text()
    assert "Task helpdesk.heartbeat" in worker_log and "succeeded" in worker_log
    assert "Sending due task helpdesk-heartbeat" in (tmp_path / "beat.log").read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_runall_serves_health_and_stops_every_child_on_ctrl_c(migrated_sqlite, tmp_path):
    database = _fresh_copy(migrated_sqlite, tmp_path)
    env = _embedded_env(tmp_path, database)
    port = _free_port()
    log_path = tmp_path / "runall.log"
    with log_path.open("w") as log:
        runall = subprocess.Popen([PYTHON, "manage.py", "runall", "--port", str(port), "--concurrency", "1"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            def healthy():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                        return json.loads(response.read()) if response.status == 200 else None
                except (urllib.error.URLError, OSError):
                    assert runall.poll() is None, log_path.read_text()
                    return None

            health = _wait_for(healthy, 90, "/healthz to answer 200")
            assert health["database"]["engine"] == "sqlite"
            assert health["broker"]["transport"] == "filesystem"
            _wait_for(lambda: "Press Ctrl-C" in log_path.read_text(), 30, "the banner")
            children = {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", log_path.read_text())}
            assert set(children) == {"web", "worker", "beat"}
            assert all(_group_members(pid) for pid in children.values())

            runall.send_signal(signal.SIGINT)
            assert runall.wait(timeout=60) == 0, log_path.read_text()
        finally:
            _stop(runall)
    output = log_path.read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "all stopped" in output
    leftovers = {name: _group_members(pid) for name, pid in children.items()}
    assert leftovers == {name: [] for name in children}, output
