"""The help desk project: settings, URLs, ASGI routing, Celery app and shared primitives."""

from .celery import app as celery_app

__all__ = ("celery_app",)
