"""`python manage.py runall`: the whole product in one terminal.

Starts the ASGI server (uvicorn: HTTP and WebSocket), a Celery worker and Celery beat as
child processes, each in its own process group, waits until `/healthz` answers, prints
the URL and the demo logins, and on Ctrl-C (SIGINT) or SIGTERM stops every group it
started: SIGTERM first, SIGKILL for whatever is still there after the grace period. If
one child dies, the others are stopped too and the command exits non-zero, so a broken
worker never hides behind a running web server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 10


def data_folders_ensure() -> list[Path]:
    """Create the folders the embedded default writes to (broker queues, beat schedule, media)."""
    folders = [Path(settings.DATA_DIR), Path(settings.MEDIA_ROOT), Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [Path(options["data_folder_in"]), Path(options["data_folder_out"])]
        folders += [Path(options[key]) for key in ("processed_folder", "control_folder") if options.get(key)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def child_commands(*, host: str, port: int, concurrency: int) -> dict[str, list[str]]:
    """Return the command line of each child process, by name."""
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "helpdesk"]
    return {
        "web": [python, "-m", "uvicorn", "helpdesk.asgi:application", "--host", host, "--port", str(port),
                "--lifespan", "on"],
        # Mingle and gossip broadcast to other workers; the filesystem transport has no
        # fanout and one worker needs neither.
        "worker": celery + ["worker", "--loglevel", "INFO", "--concurrency", str(concurrency),
                            "--without-mingle", "--without-gossip", "--hostname", f"worker-{os.getpid()}@%h"],
        "beat": celery + ["beat", "--loglevel", "INFO", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
    }


class Command(BaseCommand):
    help = "Run the ASGI server, a Celery worker and Celery beat together; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes (default 2).")
        parser.add_argument("--startup-timeout", type=float, default=60.0)

    def handle(self, *args, host, port, concurrency, startup_timeout, **options):
        data_folders_ensure()
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in child_commands(host=host, port=port, concurrency=concurrency).items():
                # A new session makes each child the leader of its own process group, so
                # one killpg reaches the worker's pool processes too, and the terminal's
                # Ctrl-C reaches only us: we decide the order of shutdown.
                self.children[name] = subprocess.Popen(command, start_new_session=True)
                self.stdout.write(f"started {name} (pid {self.children[name].pid})")
            url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
            self._wait_healthy(url + "healthz", startup_timeout)
            self._banner(url)
            code = self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if code:
            raise CommandError(f"a child process exited unexpectedly ({code}); stopped the others")

    # --- running ----------------------------------------------------------------------
    def _on_signal(self, signum, frame):
        self.stopping = True

    def _wait_healthy(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            if self._exited():
                return
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code == 503:
                    self.stderr.write(f"{url} says a service is down: {exc.read()[:300]!r}")
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        if not self.stopping:
            self.stderr.write(f"{url} did not answer within {timeout:.0f}s; the web server log above says why")

    def _banner(self, url: str) -> None:
        engine = "PostgreSQL" if settings.IS_POSTGRES else f"SQLite ({settings.DATABASES['default']['NAME']})"
        broker = "Redis" if settings.REDIS_URL else f"filesystem broker in {settings.DATA_DIR / 'broker'}"
        lines = ["", f"The help desk runs at {url}  (API {url}api/v1/, docs {url}api/docs/, health {url}healthz)",
                 f"Database: {engine}; broker and channel layer: {broker}"]
        try:
            from tickets.demo import DEMO_PASSWORD, demo_logins

            logins = demo_logins()
        except Exception:  # no demo data loaded: nothing to print, not a failure
            logins = []
        if logins:
            lines.append(f"Demo logins (password {DEMO_PASSWORD}):")
            lines += [f"  {username:<18} {what}" for username, what in logins]
        lines += ["Press Ctrl-C to stop the web server, the worker and beat.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _exited(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def _watch(self) -> int:
        while not self.stopping:
            name = self._exited()
            if name:
                code = self.children[name].returncode
                self.stderr.write(f"{name} exited with status {code}; stopping the others")
                return code or 1
            time.sleep(0.3)
        return 0

    # --- stopping ---------------------------------------------------------------------
    def _stop_all(self) -> None:
        """Stop every child: SIGTERM to each leader, then SIGKILL to each whole group.

        The leaders get SIGTERM alone so that the worker stops its own pool in order (a
        warm shutdown); the group-wide SIGKILL afterwards sweeps up anything left behind.
        """
        if not getattr(self, "children", None):
            return
        self.stdout.write("stopping " + ", ".join(self.children))
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for child in self.children.values():
            # The leader may be gone while pool processes of its group linger: kill the group.
            _signal_group(child.pid, signal.SIGKILL)
            child.wait()
        self.stdout.write("all stopped")


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
