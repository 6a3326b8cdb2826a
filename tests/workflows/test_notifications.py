import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from tickets.services.cases import case_create
from workflows.models import DeliveryStatus, Notification, PayloadFormat, WebhookDelivery, WebhookEndpoint
from workflows.services.notifications import notification_mark_read, notification_preference_set, notify
from workflows.services.webhooks import webhook_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    """A local HTTP server that fails the first `fail` requests, then answers 200."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            server.requests.append((dict(self.headers), body))
            code = 500 if len(server.requests) <= server.fail else 200
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.requests, server.fail = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_notify_respects_preferences_and_emails_text_and_html(agent, second_agent, customer, support_team,
                                                               django_capture_on_commit_callbacks):
    case = case_create(requester=customer, subject="Printer on fire", team=support_team)
    notification_preference_set(user=second_agent, kind="assigned", in_app=True, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(recipients=[agent, second_agent], kind="assigned", title="Assigned to you", body="Please look",
                       case=case)
    assert {n.user for n in notes} == {agent, second_agent}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent.email] and message.subject == f"[{case.reference}] Assigned to you"
    assert case.reference in message.body and message.alternatives[0][1] == "text/html"


def test_unread_list_and_mark_read(agent):
    notify(recipients=[agent], kind="assigned", title="One", email=False)
    notify(recipients=[agent], kind="assigned", title="Two", email=False)
    first = Notification.objects.filter(user=agent).earliest("id")
    assert notification_mark_read(user=agent, ids=[first.pk]) == 1
    assert list(Notification.objects.filter(user=agent, read_at__isnull=True).values_list("title", flat=True)) == ["Two"]
    assert notification_mark_read(user=agent) == 1


def test_webhooks_are_signed_retried_with_backoff_and_recorded(receiver, eager_celery, django_capture_on_commit_callbacks):
    receiver.fail = 2
    endpoint = WebhookEndpoint.objects.create(name="ops", url=f"http://127.0.0.1:{receiver.server_port}/hook",
                                              secret="s3cret", event_types=["case.created"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="case.created", payload={"case": {"reference": "CS-000001"}})
        webhook_emit(event_type="case.comment", payload={})  # not subscribed
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert [a["status"] for a in delivery.attempts_log] == [500, 500, 200]
    headers, body = receiver.requests[-1]
    expected = hmac.new(b"s3cret", headers["X-Helpdesk-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Helpdesk-Signature"] == f"sha256={expected}"
    assert json.loads(body)["data"]["case"]["reference"] == "CS-000001"


def test_slack_format_and_a_dead_endpoint_never_fails_the_case_change(receiver, customer, support_team, eager_celery,
                                                                      django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="slack", url=f"http://127.0.0.1:{receiver.server_port}/",
                                   secret="x", payload_format=PayloadFormat.SLACK, event_types=["case.created"])
    WebhookEndpoint.objects.create(name="dead", url="http://127.0.0.1:9/", secret="x", event_types=["case.created"])
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Hello", team=support_team)
    assert case.pk
    assert json.loads(receiver.requests[0][1]) == {"text": f"*{case.reference}* created: Hello"}
    dead = WebhookDelivery.objects.get(endpoint__name="dead")
    assert dead.status == DeliveryStatus.FAILED and dead.attempts == 6
