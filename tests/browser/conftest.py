"""Playwright on the system Chromium against pytest-django's live server.

`playwright install` cannot download here, so the browser is the installed Chromium
(CHROMIUM_PATH, default /usr/bin/chromium). Each journey saves screenshots of its key
pages into test-artifacts/screenshots/ (git-ignored) for a person to look at.
"""

import os
import re
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pass-Word-123"  # tests.factories.UserFactory


@pytest.fixture
def open_page(browser, live_server, request):
    """Return a function giving a fresh signed-in page (own cookies) for a user."""
    contexts = []

    def make(user, *, viewport=None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or {"width": 1366, "height": 860})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/(desk|portal)/"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """Return a function saving a full-page screenshot named after the test and a step."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")

    def save(page, step: str):
        page.screenshot(path=SHOTS / f"{prefix}--{step}.png", full_page=True)

    return save
