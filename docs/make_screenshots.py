"""Regenerate docs/screenshots/ from demo data, driving the system Chromium with Playwright.

Usage: `make screenshots` (or `.venv/bin/python docs/make_screenshots.py`). It migrates the
configured database, loads the demo data with `seed_demo` (signing in as its `agent` and
`customer`), or, where that command does not exist, the small set in
docs/screenshot_data.py; then starts a server on 127.0.0.1:$SCREENSHOT_PORT (default 8123)
and saves:

  agent-queue.png, case-page.png, portal-submit.png, portal-case.png, request-catalog.png,
  portal-case-phone.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path[:0] = [str(ROOT), str(ROOT / "docs")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def prepare() -> dict:
    """Load the demo data; return who to sign in as and which case to show."""
    import django
    from django.core.management import call_command, get_commands
    from django.db.models import Count, Q

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from tickets.models import Case, User

    if "seed_demo" in get_commands():
        call_command("seed_demo")
        from tickets.demo import DEMO_PASSWORD

        agent, customer, password = "agent", "customer", DEMO_PASSWORD
    else:
        import screenshot_data

        screenshot_data.seed()
        agent, customer, password = "alice", "carol@northwind.example", screenshot_data.PASSWORD
    # The customer's open case with the liveliest conversation, notes included.
    case = (
        Case.objects.filter(requester=User.objects.get(username=customer), state__in=["in_progress", "waiting_on_customer"])
        .annotate(replies=Count("comments", filter=Q(comments__is_public=True)),
                  notes=Count("comments", filter=Q(comments__is_public=False)))
        .order_by("-notes", "-replies", "-id").first()
    )
    return {"case": case.reference, "password": password, "agent": agent, "customer": customer}


def serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        # The ASGI server, so the case page's live updates connect as they do in production.
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("The server did not start.")


def sign_in(page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(data: dict, base: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                    args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        sign_in(page, base, data["agent"], data["password"])
        page.goto(f"{base}/desk/queues/team/")
        page.keyboard.press("j")
        page.screenshot(path=OUT / "agent-queue.png")
        page.goto(f"{base}/desk/cases/{data['case']}/")
        page.screenshot(path=OUT / "case-page.png", full_page=True)

        sign_in(page, base, data["customer"], data["password"])
        page.goto(f"{base}/portal/new/")
        page.fill("#id_subject", "Invoice shows the wrong VAT rate")
        page.fill("#id_description", "Our November invoice charges 21% VAT; we are exempt (certificate on file).")
        page.screenshot(path=OUT / "portal-submit.png", full_page=True)
        page.goto(f"{base}/portal/cases/{data['case']}/")
        page.screenshot(path=OUT / "portal-case.png", full_page=True)
        page.goto(f"{base}/portal/requests/")
        page.screenshot(path=OUT / "request-catalog.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(f"{base}/portal/cases/{data['case']}/")
        phone.screenshot(path=OUT / "portal-case-phone.png")
        browser.close()


def main() -> None:
    data = prepare()
    port = int(os.environ.get("SCREENSHOT_PORT", "8123"))
    server = serve(port)
    try:
        shoot(data, f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"Screenshots written to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
