"""The project's own rows: the worker heartbeat that `/healthz` reports."""

from django.db import models


class Heartbeat(models.Model):
    """The last message from one source (beat, web) that crossed the broker and ran on a worker."""

    source = models.CharField(max_length=20, unique=True)
    sent_at = models.DateTimeField(help_text="When the sender queued the message.")
    ran_at = models.DateTimeField(help_text="When a worker executed it.")

    class Meta:
        ordering = ["source"]

    def __str__(self):
        return f"{self.source} heartbeat at {self.ran_at:%Y-%m-%d %H:%M:%S}"
