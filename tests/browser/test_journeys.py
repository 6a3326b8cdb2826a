"""The three journeys of the issue, end to end in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import Case, State
from tickets.services.cases import case_create
from workflows import demo_forms
from workflows.models import Team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_case_from_portal_to_closed(open_page, shot, customer, agent):
    portal = open_page(customer)
    portal.goto("/portal/new/")
    portal.fill("#id_subject", "Refund not received for order 7781")
    portal.fill("#id_description", "You promised a refund two weeks ago; it has not arrived.")
    portal.click("text=Send to support")
    expect(portal.locator("h1")).to_have_text("We have your request")
    reference = portal.locator("[data-reference]").inner_text()
    shot(portal, "1-portal-received")

    desk = open_page(agent)
    desk.goto("/desk/queues/team/")
    desk.click(f"a:text-is('{reference}')")
    expect(desk.locator("h1")).to_have_text("Refund not received for order 7781")
    desk.fill("#composer-body", "Sorry for the wait: the refund left us today and arrives within 3 days.")
    desk.click("#composer-submit")
    expect(desk.locator(".msg-reply")).to_contain_text("the refund left us today")
    desk.check("#composer input[value=note]")
    desk.fill("#composer-body", "Finance confirmed batch 2231; watch for a bounce.")
    desk.click("#composer-submit")
    expect(desk.locator(".msg-note")).to_contain_text("Finance confirmed batch 2231")
    shot(desk, "2-desk-case-with-reply-and-note")

    portal.goto(f"/portal/cases/{reference}/")
    expect(portal.locator(".timeline")).to_contain_text("the refund left us today")
    assert "Finance confirmed batch 2231" not in portal.content()
    shot(portal, "3-portal-sees-reply-not-note")

    desk.click("#assign-me-button")
    expect(desk.locator("[data-transition=resolve]")).to_be_visible()
    desk.click("[data-transition=resolve]")
    expect(desk.locator(".case-header .state")).to_have_text("Resolved")

    portal.reload()
    expect(portal.locator("[data-customer-state]")).to_have_text("Solved — please confirm")
    portal.click("[data-action=close]")
    expect(portal.locator("[data-customer-state]")).to_have_text("Closed")
    shot(portal, "4-portal-closed")
    assert Case.objects.get(pk=int(reference[3:])).state == State.CLOSED


def test_lost_card_goes_to_the_cards_team_only(open_page, shot, customer, agent):
    demo_forms.seed()
    from tests.factories import AgentFactory, MembershipFactory

    cards_agent = AgentFactory(username="cora")
    MembershipFactory(team=Team.objects.get(slug="cards"), user=cards_agent)

    portal = open_page(customer)
    portal.goto("/portal/requests/")
    shot(portal, "1-catalog")
    portal.click("text=Report a lost or stolen card")
    portal.fill("#id_last_four", "4242")
    portal.select_option("#id_what_happened", "Stolen")
    portal.fill("#id_last_seen", "2026-11-20")
    portal.select_option("#id_send_to", "My address on file")
    portal.click("text=Submit request")
    expect(portal.locator("h1")).to_have_text("We have your request")
    reference = portal.locator("[data-reference]").inner_text()
    shot(portal, "2-received")

    cards = open_page(cards_agent)
    cards.goto("/desk/queues/team/")
    expect(cards.locator(f"tr[data-reference='{reference}']")).to_contain_text("P1")
    cards.click(f"a:text-is('{reference}')")
    expect(cards.locator("[data-answer=last_four]")).to_have_text("4242")
    expect(cards.locator("[data-answer=what_happened]")).to_have_text("Stolen")
    shot(cards, "3-cards-team-case")

    support = open_page(agent)
    for key in ("team", "unassigned", "all"):
        support.goto(f"/desk/queues/{key}/")
        expect(support.locator(f"tr[data-reference='{reference}']")).to_have_count(0)
    shot(support, "4-customer-service-queue-without-it")


def test_keyboard_moves_through_the_queue_and_assigns(open_page, shot, customer, agent, support_team):
    cases = [case_create(requester=customer, subject=f"Keyboard case {i}", team=support_team) for i in range(3)]
    desk = open_page(agent)
    desk.goto("/desk/queues/team/")
    rows = desk.locator("tr[data-case-row]")
    expect(rows).to_have_count(3)
    desk.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    desk.keyboard.press("j")
    desk.keyboard.press("j")
    desk.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile("is-current"))
    target = rows.nth(1).get_attribute("data-reference")
    shot(desk, "1-second-row-selected")
    desk.keyboard.press("a")
    expect(desk.locator(".flash-success")).to_contain_text(f"{target} is now yours")
    expect(desk.locator(f"tr[data-reference='{target}']")).to_contain_text(agent.get_full_name())
    desk.keyboard.press("?")
    expect(desk.locator("#shortcuts")).to_be_visible()
    shot(desk, "2-help-overlay")
    desk.keyboard.press("Escape")
    desk.keyboard.press("j")
    desk.keyboard.press("Enter")
    expect(desk.locator(".case-ref")).to_contain_text(cases[2].reference)
    # The shortcuts are bound by a deferred script: wait for it before the next key.
    desk.wait_for_load_state("load")
    desk.keyboard.press("j")
    expect(desk.locator(".case-ref")).to_contain_text(cases[1].reference)
    desk.keyboard.press("/")
    expect(desk.locator("#search")).to_be_focused()
    assert Case.objects.get(pk=int(target[3:])).assignee == agent
