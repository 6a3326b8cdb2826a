"""WebSocket URL patterns of every app, gathered in one list for the ASGI router."""

from django.urls import path

from helpdesk.live.consumers import LiveConsumer

websocket_urlpatterns: list = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
