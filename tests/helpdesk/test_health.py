"""`GET /healthz`: 200 when the database, broker and channel layer answer; 503 naming the one that does not."""

import pytest

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_embedded_mode_is_healthy(client, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "broker")}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"] == {"ok": True, "transport": "filesystem"}
    assert body["channel_layer"] == {"ok": True, "backend": "InMemoryChannelLayer"}


def test_production_mode_is_healthy_with_redis(client, needs_redis, settings):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["broker"]["transport"] == "redis" and body["channel_layer"]["backend"] == "RedisChannelLayer"
    assert body["database"]["engine"] == ("postgresql" if settings.IS_POSTGRES else "sqlite")


def test_broker_down_is_503(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False and body["broker"]["error"]
    assert body["database"]["ok"] is True


def test_channel_layer_down_is_503(client, settings, tmp_path):
    settings.REDIS_URL = CLOSED_PORT
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "broker")}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [CLOSED_PORT]}}}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["channel_layer"]["ok"] is False and body["broker"]["ok"] is True


def test_filesystem_broker_without_a_folder_is_503_not_500(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False


def test_unwritable_filesystem_broker_is_503(client, settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(blocker / "broker")}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False
