"""The ASGI application with Django's own ASGI handler for HTTP, for comparison in bench_server.py.

The same WebSocket routes and start-up as `helpdesk.asgi`; only HTTP differs: each request
runs on a new thread, every sync middleware behind a thread hop of its own.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from helpdesk import asgi  # noqa: E402

application = ProtocolTypeRouter({
    "http": get_asgi_application(),
    "websocket": asgi.application.application_mapping["websocket"],
    "lifespan": asgi.lifespan,
})
