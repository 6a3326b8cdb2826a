"""Outgoing webhooks: signed JSON (or a Slack-compatible message) to subscribed endpoints.

`webhook_emit` records one delivery per endpoint and queues it after commit; the
Celery task posts it, records every attempt, and retries with exponential backoff.
A failing endpoint never blocks or fails the case change that emitted the event.

Signature: header `X-Helpdesk-Signature: sha256=<hex>` is HMAC-SHA256 with the
endpoint's secret over `<X-Helpdesk-Timestamp>.<raw body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction

from helpdesk import clock
from helpdesk.process_copy import ProcessCopy
from workflows.models import DeliveryStatus, PayloadFormat, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 6


def webhook_emit(*, event_type: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Record a delivery of `payload` to every active endpoint subscribed to `event_type`; send after commit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(event_type)]
    if not endpoints:
        return []
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(endpoint=e, event_type=event_type, payload=payload, created_at=clock.now()) for e in endpoints]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def _enqueue(ids: list[int]) -> None:
    from workflows.background import webhook_deliver

    for pk in ids:
        try:
            webhook_deliver.delay(pk)
        except Exception:  # a broker outage must not fail the change; the delivery stays pending
            log.exception("could not queue webhook delivery %s", pk)


def webhook_endpoint_save(*, endpoint: WebhookEndpoint | None = None, **values) -> WebhookEndpoint:
    """Create or change an endpoint; a new one needs a name, a URL and a secret."""
    from helpdesk.errors import InvalidInput

    allowed = {"name", "url", "secret", "event_types", "payload_format", "is_active"}
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["Cannot be set."] for f in sorted(unknown)})
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk) if endpoint else WebhookEndpoint()
        for name, value in values.items():
            setattr(endpoint, name, value)
        missing = [f for f in ("name", "url", "secret") if not getattr(endpoint, f)]
        if missing:
            raise InvalidInput("Missing fields.", fields={f: ["This field is required."] for f in missing})
        if WebhookEndpoint.objects.filter(name=endpoint.name).exclude(pk=endpoint.pk).exists():
            raise InvalidInput("An endpoint with this name exists.", fields={"name": ["Choose another name."]})
        endpoint.save()
        return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery records."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def webhook_sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """Return the bytes posted for a delivery: the JSON envelope, or Slack's `{"text": ...}`."""
    payload = delivery.payload
    if delivery.endpoint.payload_format == PayloadFormat.SLACK:
        text = payload.get("text") or _slack_text(delivery.event_type, payload)
        return json.dumps({"text": text}).encode()
    envelope = {"id": delivery.pk, "type": delivery.event_type, "created_at": delivery.created_at.isoformat(),
                "data": payload}
    return json.dumps(envelope, sort_keys=True, default=str).encode()


def _slack_text(event_type: str, payload: dict) -> str:
    ref = payload.get("case", {}).get("reference") if isinstance(payload.get("case"), dict) else payload.get("reference")
    summary = payload.get("summary") or payload.get("title") or event_type
    return f"*{ref}* {summary}" if ref else str(summary)


def webhook_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Post one delivery once and record the outcome; return it (None when gone or already delivered).

    Raises `DeliveryFailed` when the endpoint did not accept it, so the task can retry.
    """
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("endpoint")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return None
        endpoint = delivery.endpoint
        body = webhook_body(delivery)
        timestamp = str(int(clock.now().timestamp()))
        request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "helpdesk-webhooks/1",
            "X-Helpdesk-Event": delivery.event_type, "X-Helpdesk-Delivery": str(delivery.pk),
            "X-Helpdesk-Timestamp": timestamp,
            "X-Helpdesk-Signature": webhook_sign(secret=endpoint.secret, timestamp=timestamp, body=body),
        })
        status, error = None, ""
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (admin-set URL)
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except Exception as exc:  # network errors of every kind count as a failed attempt
            error = f"{type(exc).__name__}: {exc}"[:300]
        delivery.attempts += 1
        delivery.response_status = status
        delivery.attempts_log = [*delivery.attempts_log,
                                 {"at": clock.now().isoformat(), "status": status, "error": error}]
        ok = status is not None and 200 <= status < 300
        if ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, clock.now()
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.status = DeliveryStatus.RETRYING
        delivery.save()
    if not ok and delivery.status == DeliveryStatus.RETRYING:
        raise DeliveryFailed(error or f"HTTP {status}", attempts=delivery.attempts)
    return delivery


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, attempts: int):
        super().__init__(message)
        self.attempts = attempts


# Whether anyone listens, asked on every delivery of events (see helpdesk.process_copy).
webhooks_any_active = ProcessCopy("webhooks-any-active",
                                  lambda: WebhookEndpoint.objects.filter(is_active=True).exists())


def webhook_events_published(event_ids: list[int]) -> None:
    """Bus subscriber: emit `case.<kind>` webhooks for committed case events (when anyone listens)."""
    if not webhooks_any_active.get():
        return
    from tickets.models import CaseEvent

    for event in CaseEvent.objects.filter(pk__in=event_ids).select_related("case"):
        case = event.case
        webhook_emit(event_type=f"case.{event.kind}", payload={
            "event": {"id": event.pk, "kind": event.kind, "actor": event.actor_label, "reason": event.reason,
                      "before": event.before, "after": event.after, "at": event.occurred_at.isoformat()},
            "case": {"reference": case.reference, "subject": case.subject, "state": case.state,
                     "priority": case.priority, "team": case.team_id, "assignee": case.assignee_id},
            "summary": f"{event.kind.replace('_', ' ')}: {case.subject}" + (f" — {event.reason}" if event.reason else ""),
        })
