"""ASGI entry point: HTTP through Django, WebSocket through Channels' URL router.

HTTP requests run Django's WSGI handler on a fixed pool of threads (`helpdesk.wsgi_bridge`),
one hop there and one back per request. Django's own ASGI handler runs each request on a
new thread and every sync middleware through a thread hop of its own: a new thread opens
a new database connection, so persistent connections (`CONN_MAX_AGE`) never served a
second request, and the hops cost about as much CPU as the view itself. On the pool a
thread keeps its connection from one request to the next. `WEB_THREADS` sets how many
requests run at once.

At server start-up (the ASGI lifespan protocol, which uvicorn speaks) the process starts
delivering committed case events from a background thread, so requests do not wait for
the live publication and the automation and webhook hand-offs; at shutdown it delivers
what is still queued.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_wsgi_app = get_wsgi_application()

from django.conf import settings  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk import bus  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from helpdesk.wsgi_bridge import WSGIBridge  # noqa: E402


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
        "http": WSGIBridge(django_wsgi_app, workers=settings.WEB_THREADS),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        "lifespan": lifespan,
    }
)
