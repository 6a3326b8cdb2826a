"""Agent workspace pages: who gets in, what the queues and the case page show, and actions."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import CategoryFactory
from tickets.models import CaseEvent, EventKind, Macro, Priority, SavedView, State
from tickets.services.cases import case_assign, case_create, comment_add, transitions_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, support_team):
    return case_create(requester=customer, subject="Card declined at the shop", description="Twice", team=support_team)


@pytest.fixture
def desk(client, agent):
    client.force_login(agent)
    return client


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-transition="([a-z_]+)"', html))


def test_customer_is_sent_to_the_portal_and_anonymous_to_sign_in(client, customer, case):
    assert client.get(reverse("desk:queue", args=["mine"])).url.startswith("/accounts/login/")
    client.force_login(customer)
    response = client.get(reverse("desk:case", args=[case.reference]))
    assert response.status_code == 302 and response.url == reverse("portal:home")


def test_home_sends_staff_to_desk_and_customers_to_portal(client, agent, customer):
    client.force_login(agent)
    assert client.get("/", follow=True).redirect_chain[-1][0] == reverse("desk:queue", args=["mine"])
    client.force_login(customer)
    assert client.get("/").url == reverse("portal:home")


def test_queues_list_cases_with_counts(desk, case, agent):
    page = desk.get(reverse("desk:queue", args=["team"])).content.decode()
    assert case.reference in page and "Card declined at the shop" in page
    assert re.search(r'data-queue="team">\s*<span>My team&#x27;s queue</span><span class="count"[^>]*>1</span>', page)
    mine = desk.get(reverse("desk:queue", args=["mine"])).content.decode()
    assert case.reference not in mine
    case_assign(case=case, assignee=agent, actor=agent)
    assert case.reference in desk.get(reverse("desk:queue", args=["mine"])).content.decode()


def test_queue_filters_search_and_sort(desk, customer, support_team):
    urgent = case_create(requester=customer, subject="Payments are down", priority=Priority.P1, team=support_team)
    calm = case_create(requester=customer, subject="Question about invoices", priority=Priority.P4, team=support_team)
    url = reverse("desk:queue", args=["all"])
    page = desk.get(url, {"priority": "P1"}).content.decode()
    assert urgent.reference in page and calm.reference not in page
    page = desk.get(url, {"q": "invoices"}).content.decode()
    assert calm.reference in page and urgent.reference not in page
    page = desk.get(url, {"sort": "priority"}).content.decode()
    assert page.index(urgent.reference) < page.index(calm.reference)
    page = desk.get(url, {"sort": "-priority"}).content.decode()
    assert page.index(calm.reference) < page.index(urgent.reference)


def test_queue_answers_htmx_with_the_results_only(desk, case):
    response = desk.get(reverse("desk:queue", args=["all"]), {"q": "declined"},
                        HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    html = response.content.decode()
    assert case.reference in html and "<nav class=\"sidenav\"" not in html and html.lstrip().startswith("<div id=\"queue-results\"")


def test_queue_pages_without_counting_everything(desk, customer, support_team):
    for i in range(27):
        case_create(requester=customer, subject=f"Bulk {i}", team=support_team)
    first = desk.get(reverse("desk:queue", args=["all"])).content.decode()
    assert "page=2" in first and first.count("data-case-row") == 25
    second = desk.get(reverse("desk:queue", args=["all"]), {"page": 2}).content.decode()
    assert second.count("data-case-row") == 2


def test_other_teams_case_is_404_for_an_agent(client, l2_agent, case):
    client.force_login(l2_agent)
    assert client.get(reverse("desk:case", args=[case.reference])).status_code == 404
    assert client.post(reverse("desk:transition", args=[case.reference]), {"name": "triage"}).status_code == 404


def test_case_page_shows_only_the_transitions_the_agent_may_make(desk, case, agent):
    html = desk.get(reverse("desk:case", args=[case.reference])).content.decode()
    allowed = set(transitions_for(case, agent)) - {"merge"}
    assert buttons(html) == allowed
    assert "resolve" not in allowed and "close" not in allowed
    case_assign(case=case, assignee=agent, actor=agent)
    case.refresh_from_db()
    html = desk.get(reverse("desk:case", args=[case.reference])).content.decode()
    assert "start" in buttons(html) and "triage" not in buttons(html)


def test_manager_may_not_see_buttons_for_a_closed_case(client, manager, case, agent):
    from tickets.services.cases import case_transition

    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="resolve", actor=agent)
    case_transition(case=case, name="close", actor=agent)
    client.force_login(manager)
    html = client.get(reverse("desk:case", args=[case.reference])).content.decode()
    assert buttons(html) == {"reopen"}
    assert 'id="composer"' not in html


def test_reply_and_note_land_in_the_timeline_and_the_log(desk, case, agent):
    url = reverse("desk:comment", args=[case.reference])
    assert desk.post(url, {"kind": "reply", "body": "We are on it."}).status_code == 302
    assert desk.post(url, {"kind": "note", "body": "Checked the ledger."}).status_code == 302
    html = desk.get(reverse("desk:case", args=[case.reference])).content.decode()
    assert "We are on it." in html and "Checked the ledger." in html
    assert "msg-reply" in html and "msg-note" in html and "Internal note" in html
    events = CaseEvent.objects.filter(case=case, kind=EventKind.COMMENT)
    assert [(e.actor, e.data["public"]) for e in events] == [(agent, True), (agent, False)]


def test_empty_message_is_an_inline_error(desk, case):
    response = desk.post(reverse("desk:comment", args=[case.reference]), {"kind": "reply", "body": "  "})
    assert response.status_code == 400
    assert "Write a message or choose a canned response." in response.content.decode()


def test_transition_post_redirects_and_refusal_shows_the_reason(desk, case):
    url = reverse("desk:transition", args=[case.reference])
    response = desk.post(url, {"name": "triage", "expected_state": "new"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.TRIAGED
    stale = desk.post(url, {"name": "escalate", "expected_state": "new"})
    assert stale.status_code == 409 and "someone changed it first" in stale.content.decode()
    refused = desk.post(url, {"name": "close"})
    assert refused.status_code == 409


def test_assign_to_me_and_assignment_form(desk, case, agent, second_agent):
    desk.post(reverse("desk:assign-me", args=[case.reference]))
    case.refresh_from_db()
    assert case.assignee == agent and case.state == State.ASSIGNED
    desk.post(reverse("desk:assign", args=[case.reference]), {"assignee": second_agent.pk})
    case.refresh_from_db()
    assert case.assignee == second_agent
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNMENT, actor=agent).count() == 2


def test_edit_details_records_field_changes(desk, case, agent):
    category = CategoryFactory(name="Billing")
    response = desk.post(reverse("desk:edit", args=[case.reference]), {
        "priority": "P1", "category": category.pk, "product": "", "tags": "vip, card", "custom": "order: 4471",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "P1" and case.category == category and case.custom_fields == {"order": "4471"}
    assert sorted(case.tags.values_list("name", flat=True)) == ["card", "vip"]
    fields = set(CaseEvent.objects.filter(case=case, kind=EventKind.FIELD_CHANGE, actor=agent).values_list("data__field", flat=True))
    assert fields == {"priority", "category", "tags", "custom_fields"}


def test_macro_applies_text_field_changes_and_transition(desk, case, agent):
    refund = CategoryFactory(name="Refund")
    macro = Macro.objects.create(name="Ask for receipt", body="Please send the receipt.", set_category=refund,
                                 set_priority="P2", add_tags="needs-receipt", transition="wait_on_customer")
    case_assign(case=case, assignee=agent, actor=agent)
    response = desk.post(reverse("desk:comment", args=[case.reference]), {"kind": "reply", "body": "", "macro": macro.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.category == refund and case.priority == "P2" and case.state == State.WAITING_ON_CUSTOMER
    assert case.comments.get().body == "Please send the receipt."
    assert list(case.tags.values_list("name", flat=True)) == ["needs-receipt"]
    reasons = set(CaseEvent.objects.filter(case=case).exclude(kind=EventKind.COMMENT).values_list("reason", flat=True))
    assert "Canned response: Ask for receipt" in reasons


def test_bulk_actions_report_per_row(desk, case, customer, support_team, l2_team, agent):
    second = case_create(requester=customer, subject="Second", team=support_team)
    hidden = case_create(requester=customer, subject="Other team", team=l2_team)
    url = reverse("desk:bulk")
    next_url = reverse("desk:queue", args=["all"])
    response = desk.post(url, {"ids": [case.pk, second.pk, hidden.pk], "action": "assign_me", "next": next_url})
    assert response.status_code == 302 and response.url == next_url
    page = desk.get(next_url).content.decode()
    assert "Bulk action results" in page and page.count("Assigned to you.") == 2 and "No such case." in page
    case_assign(case=second, assignee=None, actor=agent)
    desk.post(url, {"ids": [case.pk, second.pk], "action": "transition:start", "next": next_url})
    page = desk.get(next_url).content.decode()
    assert "Now in progress." in page and "result-failed" in page
    case.refresh_from_db()
    second.refresh_from_db()
    assert case.state == State.IN_PROGRESS and second.state == State.TRIAGED


def test_saved_views_are_personal(desk, client, agent, second_agent):
    response = desk.post(reverse("desk:view-save"), {"name": "Urgent", "queue": "team", "query": "priority=P1&page=3"})
    view = SavedView.objects.get(owner=agent)
    assert view.query == "priority=P1" and response.url.endswith("/desk/queues/team/?priority=P1")
    assert "Urgent" in desk.get(reverse("desk:queue", args=["mine"])).content.decode()
    client.force_login(second_agent)
    assert client.post(reverse("desk:view-delete", args=[view.pk])).status_code == 302
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_attachment_download_checks_visibility(client, desk, case, agent, customer):
    comment_add(case=case, author=agent, body="Log", public=False,
                attachments=[SimpleUploadedFile("internal.txt", b"secret", content_type="text/plain")])
    comment_add(case=case, author=agent, body="Here you go", public=True,
                attachments=[SimpleUploadedFile("guide.pdf", b"%PDF-1.4", content_type="application/pdf")])
    internal, public = case.attachments.order_by("id")
    assert desk.get(reverse("attachment-download", args=[internal.pk])).status_code == 200
    client.force_login(customer)
    assert client.get(reverse("attachment-download", args=[internal.pk])).status_code == 404
    response = client.get(reverse("attachment-download", args=[public.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4"


def test_upload_with_a_note_through_the_composer(desk, case):
    upload = SimpleUploadedFile("trace.txt", b"stack", content_type="text/plain")
    desk.post(reverse("desk:comment", args=[case.reference]), {"kind": "note", "body": "Trace", "attachments": [upload]})
    html = desk.get(reverse("desk:case", args=[case.reference])).content.decode()
    assert "trace.txt" in html
    bad = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    response = desk.post(reverse("desk:comment", args=[case.reference]), {"kind": "note", "body": "x", "attachments": [bad]})
    assert response.status_code == 400 and "are not accepted" in response.content.decode()


def test_queue_query_count_does_not_grow_with_rows(desk, customer, support_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert desk.get(url).status_code == 200
        return len(queries)

    url = reverse("desk:queue", args=["team"])
    for i in range(3):
        case_create(requester=customer, subject=f"Few {i}", team=support_team, tags=["a", "b"])
    few = count(url)
    for i in range(20):
        case_create(requester=customer, subject=f"Many {i}", team=support_team, tags=["a", "b"])
    assert count(url) == few


def test_bad_filter_values_are_ignored_not_errors(desk, case):
    response = desk.get(reverse("desk:queue", args=["all"]), {
        "created_after": "yesterday", "state": "bogus", "assignee": "x", "page": "-3", "sort": "drop table",
    })
    assert response.status_code == 200
    assert desk.get(reverse("desk:queue", args=["nope"])).url == reverse("desk:queue", args=["all"])


def test_created_range_filters_by_date(desk, case):
    url = reverse("desk:queue", args=["all"])
    day = case.created_at.date()
    assert case.reference in desk.get(url, {"created_after": day.isoformat()}).content.decode()
    assert case.reference not in desk.get(url, {"created_before": day.isoformat()}).content.decode()
