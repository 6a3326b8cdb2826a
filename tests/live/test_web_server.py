"""HTTP through the real ASGI server (uvicorn): a fixed pool of request threads that keep their connections.

Django's own ASGI handler ran each request on a new thread, and a new thread opens a new
database connection: every API call paid for a PostgreSQL connection and its start-up.
`helpdesk.asgi` serves HTTP from `WEB_THREADS` threads instead, each keeping its
connection (`CONN_MAX_AGE`) from one request to the next.
"""

from __future__ import annotations

import json
import urllib.request

from django.db import connection
from rest_framework.authtoken.models import Token

from tests.live.servers import server_env, uvicorn
from tickets.models import Case, CaseEvent

PORT = 8167
REQUESTS = 30


def _sessions() -> int:
    """Connections ever opened to the test database (PostgreSQL's own count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _post(path: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}", "Host": "localhost"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_api_requests_reuse_the_request_threads_database_connections(needs_postgres, transactional_db, customer,
                                                                      tmp_path):
    token = Token.objects.create(user=customer).key
    env = server_env(redis=False, data_dir=tmp_path, WEB_THREADS="2", CONN_MAX_AGE="60")
    before = _sessions()
    with uvicorn(PORT, env):
        answers = [_post("/api/v1/cases/", token, {"subject": f"Through the server {n}"}) for n in range(REQUESTS)]
    # The server has stopped: its connections are closed and PostgreSQL has counted them.
    opened = _sessions() - before

    assert [status for status, _ in answers] == [201] * REQUESTS
    references = [body["reference"] for _, body in answers]
    assert len(set(references)) == REQUESTS
    made = Case.objects.filter(requester=customer)
    assert made.count() == REQUESTS
    assert CaseEvent.objects.filter(case__in=made, kind="created").count() == REQUESTS
    # At most: the 2 request threads, the event delivery thread, the start-up check and
    # the relay that tails the event log. One connection per request would be 30 or more.
    assert opened <= 5, f"{opened} database connections for {REQUESTS} requests"
