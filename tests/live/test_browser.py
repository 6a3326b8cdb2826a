"""Two agents in two browsers: one changes a case, the other's board and case page follow live."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.live.servers import server_env, uvicorn
from tickets.services.cases import case_create

pytestmark = pytest.mark.browser

PORT = int(os.environ.get("HELPDESK_LIVE_BROWSER_PORT", "8163"))
BASE = f"http://127.0.0.1:{PORT}"


def _session(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": BASE}


def _transition(token: str, reference: str, name: str) -> dict:
    request = urllib.request.Request(
        f"{BASE}/api/v1/cases/{reference}/transitions/{name}/", data=b"{}", method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def test_agent_b_sees_agent_a_change_without_reload(
    browser, needs_postgres, needs_redis, transactional_db, agent, second_agent, support_team, customer, tmp_path, monkeypatch
):
    from playwright.sync_api import expect

    case = case_create(requester=customer, subject="Both agents look at this", team=support_team, actor=customer)
    token = Token.objects.create(user=agent).key
    cookies = {"a": _session(agent), "b": _session(second_agent)}
    # Playwright's sync API keeps an event loop in this thread; the database work is done.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    env = server_env(redis=True, data_dir=tmp_path)
    with uvicorn(PORT, env):
        contexts = {}
        try:
            for who in ("a", "b"):
                contexts[who] = browser.new_context()
                contexts[who].add_cookies([cookies[who]])
            a_case = contexts["a"].new_page()
            a_case.goto(f"{BASE}/desk/cases/{case.reference}/")
            b_board = contexts["b"].new_page()
            b_board.goto(f"{BASE}/desk/boards/team/{support_team.slug}/")
            b_case = contexts["b"].new_page()
            b_case.goto(f"{BASE}/desk/cases/{case.reference}/")

            card = b_board.locator(f'[data-case-card="{case.pk}"]')
            expect(b_board.locator('.column[data-state="new"]').locator(f'[data-case-card="{case.pk}"]')).to_be_visible()
            for page in (a_case, b_case):
                expect(page.locator("[data-live-status]")).to_have_text("Live")
                expect(page.locator(f'[data-viewers] [data-user-id="{agent.pk}"]')).to_be_visible()
                expect(page.locator(f'[data-viewers] [data-user-id="{second_agent.pk}"]')).to_be_visible()
            expect(b_board.locator("[data-live-status]")).to_have_text("Live")

            a_case.locator("#composer-body").type("Checking the printer")
            expect(b_case.locator("[data-typing]")).to_contain_text("typing")

            for page in (b_board, b_case):
                page.evaluate("window.notReloaded = true")
            _transition(token, case.reference, "triage")

            expect(b_board.locator('.column[data-state="triaged"]').locator(f'[data-case-card="{case.pk}"]')).to_be_visible()
            expect(card).to_have_count(1)
            expect(b_case.locator("[data-live-timeline] li").last).to_contain_text("triaged")
            # Nothing was reloaded: the marker set before the change is still there.
            for page in (b_board, b_case):
                assert page.evaluate("window.notReloaded") is True
        finally:
            for context in contexts.values():
                context.close()
