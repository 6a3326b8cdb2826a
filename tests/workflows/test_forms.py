"""The self-service request catalog: validation, routing to the fulfilment team, pages."""

import pytest
from django.urls import reverse

from helpdesk.errors import InvalidInput
from tests.factories import AgentFactory, MembershipFactory
from tickets.models import Channel, Priority
from workflows import demo_forms
from workflows.models import FieldType, RequestForm, RequestFormField, Team
from workflows.services.forms import request_form_submit

pytestmark = pytest.mark.django_db

LOST_CARD = {"last_four": "4242", "what_happened": "Stolen", "last_seen": "2026-11-20", "send_to": "My address on file"}


@pytest.fixture
def forms():
    return {f.slug: f for f in demo_forms.seed()}


@pytest.fixture
def cards_agent(forms):
    user = AgentFactory(username="cora")
    MembershipFactory(team=Team.objects.get(slug="cards"), user=user)
    return user


def test_seed_creates_three_forms_and_their_teams_once(forms):
    assert set(forms) == {"change-address", "lost-card", "register-product"}
    assert {f.team.slug for f in forms.values()} == {"accounts", "cards", "warranty"}
    assert forms["lost-card"].priority == Priority.P1
    demo_forms.seed()
    assert RequestForm.objects.count() == 3 and RequestFormField.objects.filter(form=forms["lost-card"]).count() == 5


def test_every_field_type_is_validated_and_all_errors_come_back(forms, customer):
    with pytest.raises(InvalidInput) as refused:
        request_form_submit(form=forms["register-product"], requester=customer, answers={
            "model": "", "serial": "bad serial!", "purchased_on": "20/11/2026", "price": "cheap", "notify_email": "nope",
        })
    fields = refused.value.extra["fields"]
    assert fields == {
        "model": ["This field is required."],
        "serial": ["Serial numbers have 6 to 30 letters, digits or hyphens."],
        "purchased_on": ["Enter a date as YYYY-MM-DD."],
        "price": ["Enter a number."],
        "notify_email": ["Enter a valid e-mail address."],
    }
    with pytest.raises(InvalidInput) as refused:
        request_form_submit(form=forms["lost-card"], requester=customer, answers={**LOST_CARD, "what_happened": "Eaten"})
    assert refused.value.extra["fields"] == {"what_happened": ["Choose one of the options."]}


def test_submission_goes_straight_to_the_fulfilment_team_with_structured_answers(forms, customer):
    case = request_form_submit(form=forms["lost-card"], requester=customer, answers=LOST_CARD)
    assert case.channel == Channel.FORM and case.team.slug == "cards" and case.priority == Priority.P1
    stored = case.custom_fields["form"]
    assert stored["slug"] == "lost-card" and stored["title"] == "Report a lost or stolen card"
    assert stored["answers"][0] == {"label": "Last four digits of the card", "name": "last_four", "value": "4242"}
    assert {"name": "phone", "label": "Phone number we can reach you on", "value": ""} in stored["answers"]
    assert "What happened: Stolen" in case.description


def test_without_bypass_the_case_enters_normal_routing(forms, customer):
    form = forms["change-address"]
    form.bypass_customer_service = False
    form.save()
    case = request_form_submit(form=form, requester=customer, answers={
        "street": "1 High St", "postcode": "AB1 2CD", "city": "Leeds", "country": "United Kingdom",
        "moving_date": "2026-12-01",
    })
    assert case.team is None and case.custom_fields["form"]["team"] == "Accounts"


def test_a_lost_card_never_shows_in_customer_service_queues(client, forms, customer, agent, cards_agent):
    case = request_form_submit(form=forms["lost-card"], requester=customer, answers=LOST_CARD)
    client.force_login(agent)  # customer service (Support L1)
    for key in ("team", "unassigned", "all"):
        assert case.reference not in client.get(reverse("desk:queue", args=[key])).content.decode()
    assert client.get(reverse("desk:case", args=[case.reference])).status_code == 404
    client.force_login(cards_agent)
    assert case.reference in client.get(reverse("desk:queue", args=["team"])).content.decode()
    html = client.get(reverse("desk:case", args=[case.reference])).content.decode()
    assert "Request form: Report a lost or stolen card" in html
    assert 'data-answer="last_four">4242</dd>' in html and 'data-answer="what_happened">Stolen</dd>' in html


def test_catalog_and_form_pages(client, forms, customer):
    client.force_login(customer)
    html = client.get(reverse("portal:catalog")).content.decode()
    assert all(f.title in html for f in forms.values())
    url = reverse("portal:request-form", args=["lost-card"])
    page = client.get(url).content.decode()
    assert 'type="date"' in page and "<select" in page and "Last four digits of the card" in page
    response = client.post(url, {**LOST_CARD, "last_four": "42a"})
    assert response.status_code == 400 and "Enter exactly four digits." in response.content.decode()
    assert 'value="2026-11-20"' in response.content.decode()  # answers survive the error
    response = client.post(url, LOST_CARD)
    assert response.status_code == 302 and "/received/" in response.url
    assert "cards" in client.get(response.url).content.decode().lower()


def test_inactive_forms_are_hidden(client, forms, customer):
    RequestForm.objects.filter(slug="register-product").update(is_active=False)
    client.force_login(customer)
    assert "Register a product" not in client.get(reverse("portal:catalog")).content.decode()
    assert client.get(reverse("portal:request-form", args=["register-product"])).status_code == 404


def test_choice_fields_need_options_and_patterns_must_compile(forms):
    from django.core.exceptions import ValidationError

    field = RequestFormField(form=forms["lost-card"], label="X", name="x", type=FieldType.CHOICE)
    with pytest.raises(ValidationError):
        field.clean()
    field = RequestFormField(form=forms["lost-card"], label="X", name="x", type=FieldType.TEXT, regex="(")
    with pytest.raises(ValidationError):
        field.clean()
