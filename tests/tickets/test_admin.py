"""The admin: every registered model's list loads; cases and the event log are read-only there."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Case, CaseEvent
from tickets.services.cases import comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, admin_user, case, agent):
    comment_add(case=case, author=agent, body="note", public=False,
                attachments=[SimpleUploadedFile("a.txt", b"x", content_type="text/plain")])
    client.force_login(admin_user)
    return client


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_changelist_loads_with_search_and_filters(signed_in):
    for model, model_admin in admin.site._registry.items():
        url = _url(model, "changelist")
        assert signed_in.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert signed_in.get(url, {"q": "1"}).status_code == 200, url


def test_case_change_page_shows_the_case_without_editing(signed_in, case):
    response = signed_in.get(_url(Case, "change", case.pk))
    assert response.status_code == 200 and b"Card declined" in response.content
    assert signed_in.post(_url(Case, "change", case.pk), {"subject": "hijacked"}).status_code == 403
    assert signed_in.get(_url(Case, "add")).status_code == 403
    assert signed_in.get(_url(Case, "delete", case.pk)).status_code == 403
    case.refresh_from_db()
    assert case.subject == "Card declined"


def test_event_log_is_read_only_in_the_admin(signed_in, case):
    event = CaseEvent.objects.filter(case=case).first()
    response = signed_in.get(_url(CaseEvent, "change", event.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert signed_in.post(_url(CaseEvent, "change", event.pk), {"reason": "rewritten"}).status_code == 403
    assert signed_in.get(_url(CaseEvent, "add")).status_code == 403
    assert signed_in.get(_url(CaseEvent, "delete", event.pk)).status_code == 403
    response = signed_in.post(_url(CaseEvent, "changelist"),
                              {"action": "delete_selected", "_selected_action": [event.pk]})
    assert CaseEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code in (200, 302)
