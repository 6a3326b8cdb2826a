"""`GET /healthz`: the state of the database, the broker and the channel layer."""

from __future__ import annotations

import asyncio
import os
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # any failure means "down", with the reason shown
        return {"ok": False, "engine": connection.vendor, "error": str(exc)[:200]}


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("data_folder_in")
        if not folder:
            return {"ok": False, "transport": "filesystem", "error": "no data_folder_in configured"}
        try:
            os.makedirs(folder, exist_ok=True)
            return {"ok": os.access(folder, os.W_OK), "transport": "filesystem"}
        except OSError as exc:
            return {"ok": False, "transport": "filesystem", "error": str(exc)[:200]}
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True, "transport": "redis"}
    except Exception as exc:
        return {"ok": False, "transport": "redis", "error": str(exc)[:200]}


def _channel_layer() -> dict:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "no channel layer configured"}
    backend = type(layer).__name__
    if not settings.REDIS_URL:
        return {"ok": True, "backend": backend}

    async def roundtrip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    try:
        asyncio.run(roundtrip())
        return {"ok": True, "backend": backend}
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": str(exc)[:200] or type(exc).__name__}


def _heartbeat() -> dict | None:
    """Tell when beat's and the web's last heartbeats ran on a worker (informative, never 503)."""
    try:
        from helpdesk.tasks import heartbeat_status

        return heartbeat_status()
    except Exception:  # the database check above already reports a broken database
        return None


def healthz(request):
    """Answer 200 when every dependency answers, 503 naming the one that does not."""
    started = time.perf_counter()
    checks = {"database": _database(), "broker": _broker(), "channel_layer": _channel_layer()}
    healthy = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks, "heartbeat": _heartbeat(), "took_ms": round((time.perf_counter() - started) * 1000, 1)}
    return JsonResponse(body, status=200 if healthy else 503)
