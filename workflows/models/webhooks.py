"""Outgoing webhooks: endpoints that subscribe to event types, and every delivery made."""

from django.db import models

from helpdesk import clock


class PayloadFormat(models.TextChoices):
    JSON = "json", "JSON (signed)"
    SLACK = "slack", "Slack-compatible"


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Shared secret for the HMAC-SHA256 signature.")
    event_types = models.JSONField(
        default=list, blank=True, help_text='Event types to send, e.g. ["case.created", "automation"]; empty sends all.'
    )
    payload_format = models.CharField(max_length=10, choices=PayloadFormat.choices, default=PayloadFormat.JSON)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One message to one endpoint, with every attempt's outcome in `attempts_log`."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    attempts_log = models.JSONField(default=list, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_type} to {self.endpoint}: {self.status}"
