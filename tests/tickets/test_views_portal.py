"""Customer portal pages: privacy of cases and notes, submission, reply, close and reopen, sign-up."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from helpdesk import clock
from tests.factories import CustomerFactory, ProductFactory
from tickets.models import Case, Channel, State, User
from tickets.services.cases import case_assign, case_create, case_transition, comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, support_team):
    return case_create(requester=customer, subject="Invoice is wrong", description="Line 3", team=support_team)


@pytest.fixture
def portal(client, customer):
    client.force_login(customer)
    return client


def actions(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def test_another_customers_case_is_404(client, other_customer, case):
    client.force_login(other_customer)
    for name in ("portal:case", "portal:received"):
        assert client.get(reverse(name, args=[case.reference])).status_code == 404
    assert client.post(reverse("portal:reply", args=[case.reference]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("portal:act", args=[case.reference]), {"name": "cancel"}).status_code == 404
    assert client.get(reverse("portal:case", args=["CS-999999"])).status_code == 404


def test_internal_notes_never_reach_the_portal(portal, case, agent):
    comment_add(case=case, author=agent, body="Public answer for Carol", public=True)
    comment_add(case=case, author=agent, body="SECRET-LEDGER-NOTE", public=False)
    comment_add(case=case, author=agent, body="SHARED-INTERNAL-NOTE", public=False, shared=True)
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "Public answer for Carol" in html and "Line 3" in html  # the customer's own description
    assert "SECRET-LEDGER-NOTE" not in html and "SHARED-INTERNAL-NOTE" not in html and "Internal note" not in html


def test_customer_sees_state_in_their_words(portal, case, agent):
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    case_transition(case=case, name="wait_on_customer", actor=agent)
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "Waiting for your reply" in html and "wait_on_customer" not in html
    listing = portal.get(reverse("portal:home")).content.decode()
    assert case.reference in listing and "Waiting for your reply" in listing


def test_my_cases_lists_only_mine_unless_org_admin(client, customer, case, support_team):
    colleague = CustomerFactory(organization=customer.organization)
    theirs = case_create(requester=colleague, subject="Colleague's case", team=support_team)
    client.force_login(customer)
    html = client.get(reverse("portal:home"), {"scope": "org"}).content.decode()
    assert case.reference in html and theirs.reference not in html
    customer.is_org_admin = True
    customer.save()
    html = client.get(reverse("portal:home"), {"scope": "org"}).content.decode()
    assert theirs.reference in html and "My organization" in html
    assert client.get(reverse("portal:case", args=[theirs.reference])).status_code == 200


def test_submit_shows_inline_errors(portal):
    response = portal.post(reverse("portal:submit"), {"subject": "", "description": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("This field is required.") == 2
    assert not Case.objects.exists()


def test_submit_creates_the_case_and_confirms_the_reference(portal, customer):
    product = ProductFactory(name="Payments API")
    response = portal.post(reverse("portal:submit"), {
        "subject": "Webhooks fail", "description": "Since 9:00 every call returns 500.", "product": product.pk,
    })
    case = Case.objects.get()
    assert response.url == reverse("portal:received", args=[case.reference])
    assert case.requester == customer and case.channel == Channel.WEB and case.product == product
    html = portal.get(response.url).content.decode()
    assert case.reference in html and "We have your request" in html


def test_submit_rejects_a_forbidden_file_inline(portal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = portal.post(reverse("portal:submit"), {"subject": "S", "description": "D", "attachments": [bad]})
    assert response.status_code == 400 and "are not accepted" in response.content.decode()
    assert not Case.objects.exists()


def test_reply_resumes_a_case_waiting_on_the_customer(portal, case, agent):
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="wait_on_customer", actor=agent)
    response = portal.post(reverse("portal:reply", args=[case.reference]), {"body": "Here is the receipt."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert "Here is the receipt." in portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert portal.post(reverse("portal:reply", args=[case.reference]), {"body": ""}).status_code == 400


def test_close_only_offered_when_resolved_and_reopen_within_window(portal, case, agent):
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert actions(html) == {"cancel"}  # withdraw a case nobody has picked up yet
    assert portal.post(reverse("portal:act", args=[case.reference]), {"name": "close"}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.NEW
    case_assign(case=case, assignee=agent, actor=agent)
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert actions(html) == set()
    case_transition(case=case, name="resolve", actor=agent)
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert actions(html) == {"close", "reopen"}
    portal.post(reverse("portal:act", args=[case.reference]), {"name": "close"})
    case.refresh_from_db()
    assert case.state == State.CLOSED
    html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert actions(html) == {"reopen"} and 'name="body"' not in html
    with time_machine.travel(clock.now() + timedelta(days=30)):
        html = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
        assert actions(html) == set()
        portal.post(reverse("portal:act", args=[case.reference]), {"name": "reopen"})
        case.refresh_from_db()
        assert case.state == State.CLOSED


def test_staff_are_sent_to_the_desk(client, agent):
    client.force_login(agent)
    assert client.get(reverse("portal:home")).url == reverse("desk:home")


def test_sign_up_sends_a_link_that_activates_the_account(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts-signup"), {
            "full_name": "Nina Novak", "email": "Nina@Example.org", "password1": "long-Secret-77",
            "password2": "long-Secret-77",
        })
    assert response.url == reverse("accounts-signup-sent")
    user = User.objects.get(email="nina@example.org")
    assert not user.is_active and user.is_customer
    assert not client.login(username="nina@example.org", password="long-Secret-77")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert "confirmed" in client.get("/" + path).content.decode()
    assert client.login(username="nina@example.org", password="long-Secret-77")
    assert client.get(reverse("accounts-verify", args=["forged-token"])).status_code == 400


def test_sign_up_does_not_reveal_existing_accounts(client, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts-signup"), {
            "full_name": "X", "email": customer.email, "password1": "long-Secret-77", "password2": "long-Secret-77",
        })
    assert response.url == reverse("accounts-signup-sent")
    assert User.objects.filter(email=customer.email).count() == 1
    assert "already have one" in mail.outbox[0].body


def test_sign_up_validates_passwords_inline(client):
    response = client.post(reverse("accounts-signup"), {
        "full_name": "X", "email": "x@example.org", "password1": "short", "password2": "other",
    })
    assert response.status_code == 400 and "The two passwords differ." in response.content.decode()


def test_password_reset_mails_a_link(client, customer):
    response = client.post(reverse("password_reset"), {"email": customer.email})
    assert response.status_code == 302
    assert "/accounts/reset/" in mail.outbox[0].body and mail.outbox[0].subject == "Reset your help desk password"


def test_sign_in_page_is_styled_and_links_to_sign_up(client):
    html = client.get(reverse("login")).content.decode()
    assert 'href="/static/css/app.css"' in html or "app.css" in html
    assert reverse("accounts-signup") in html and reverse("password_reset") in html


def test_staff_reasons_stay_out_of_the_portal(portal, case, agent):
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="wait_on_customer", actor=agent, reason="CUSTOMER-IS-SLOW")
    assert "CUSTOMER-IS-SLOW" not in portal.get(reverse("portal:case", args=[case.reference])).content.decode()
