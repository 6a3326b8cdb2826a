"""Server-rendered pages: the agent workspace (desk), the customer portal and sign-up.

Views stay thin: they read through `tickets.selectors` (and `tickets.queues`) and write
through the services, exactly like the API.
"""
