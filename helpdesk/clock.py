"""The one seam through which the code reads the time; tests move it with time-machine."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return timezone.now()
