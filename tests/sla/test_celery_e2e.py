"""End to end: a real Celery beat and worker (subprocesses) on Redis and PostgreSQL breach a case."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from sla.models import TargetKind
from sla.services.policies import policy_define
from tickets.models import Case, CaseEvent
from tickets.services.cases import case_create

ROOT = Path(__file__).resolve().parents[2]


def _start(args, env, log):
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "helpdesk", *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_breach_a_case_and_escalate_it(needs_postgres, needs_redis, customer, tmp_path):
    from sla.services.policies import calendar_define

    needs_redis.flushdb()  # the test run's own Redis database: drop tasks left by earlier runs
    calendar = calendar_define(name="24x7", always=True)
    policy_define(name="Escalate on breach", is_default=True, breach_escalate=True,
                  targets=[("P3", TargetKind.FIRST_RESPONSE, 1, calendar)])
    from helpdesk import clock

    with time_machine.travel(clock.now() - timedelta(minutes=2)):
        case = case_create(requester=customer, subject="Nobody answered")  # due a minute ago
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SLA_SWEEP_SECONDS": "1",
        "HELPDESK_DATA_DIR": str(tmp_path),
        "CONN_MAX_AGE": "0",
    }
    log_path = tmp_path / "celery.log"
    with open(log_path, "w") as log:
        worker = _start(["worker", "--pool=solo", "--without-heartbeat", "--without-gossip", "--without-mingle",
                         "--loglevel=INFO"], env, log)
        beat = _start(["beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")], env, log)
        try:
            deadline = time.monotonic() + 45
            level = 0
            while time.monotonic() < deadline:
                level = Case.objects.filter(pk=case.pk).values_list("escalation_level", flat=True).get()
                if level:
                    break
                time.sleep(0.5)
        finally:
            for proc in (beat, worker):
                proc.terminate()
            for proc in (beat, worker):
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            connection.close()
    assert level == 1, log_path.read_text()[-3000:]
    breach = CaseEvent.objects.get(case=case, kind="sla", data__type="breach")
    assert breach.data["target"] == "first_response"
    assert CaseEvent.objects.filter(case=case, kind="transition", data__transition="escalate", actor_kind="sla").count() == 1
