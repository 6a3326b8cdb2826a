"""ASGI entry point: HTTP through Django, WebSocket through Channels' URL router.

At server start-up (the ASGI lifespan protocol, which uvicorn speaks) the process starts
delivering committed case events from a background thread, so requests do not wait for
the live publication and the automation and webhook hand-offs; at shutdown it delivers
what is still queued.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk import bus  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402


async def lifespan(scope, receive, send):
    """Start event delivery off the request threads at start-up; drain it at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            bus.background_start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            bus.background_stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        "lifespan": lifespan,
    }
)
