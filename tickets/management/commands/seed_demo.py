"""`python manage.py seed_demo`: load the demo data of every app, idempotently.

Each app keeps its own demo in `<app>/demo.py` with a `seed(stdout)` function; this
command calls the ones that exist in a fixed order, then makes the demo cases last so
they meet every app's configuration (teams, SLA policies, routing rules) on the way.
"""

from __future__ import annotations

import importlib
import time
import traceback

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

DEMO_MODULES = [
    "tickets.demo",
    "workflows.demo",
    "workflows.demo_routing",
    "workflows.demo_forms",
    "workflows.demo_tasks",
    "sla.demo",
    "knowledge.demo",
    "feedback.demo",
]


def demo_module(name: str):
    """Import an app's demo module, or return None when the app has none (yet)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the module exists but something it imports does not: a real error
        return None


class Command(BaseCommand):
    help = "Load demo organizations, teams, people and cases (safe to run again: it only adds what is missing)."

    def handle(self, *args, **options):
        # Demo people have made-up addresses: the notifications their cases trigger are
        # recorded in the app but not e-mailed (nor printed by the console backend).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed()

    def _seed(self):
        started = time.perf_counter()
        failed = []
        for name in DEMO_MODULES:
            module = demo_module(name)
            if module is None:
                continue
            # One app's broken demo must not keep the product from starting: its writes are
            # rolled back, the error is shown, and the other demos still load.
            try:
                with transaction.atomic():
                    module.seed(self.stdout)
            except Exception:
                failed.append(name)
                self.stderr.write(f"{name}: demo data NOT loaded:\n{traceback.format_exc()}")
        from tickets.demo import DEMO_PASSWORD, demo_logins, seed_cases

        seed_cases(self.stdout)
        if failed:
            self.stderr.write(self.style.ERROR(f"Demo data NOT loaded for {', '.join(failed)} (errors above)."))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.perf_counter() - started:.1f}s."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, what in demo_logins():
            self.stdout.write(f"  {username:<18} {what}")
