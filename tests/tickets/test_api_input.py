"""Bad input through the API: 400 with field errors (413 beyond size limits), and nothing written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import Attachment, Case, CaseEvent, Comment, Tag

pytestmark = pytest.mark.django_db


def _rows():
    return (Case.objects.count(), CaseEvent.objects.count(), Comment.objects.count(), Attachment.objects.count(),
            Tag.objects.count(), list(Case.objects.values_list("version", "state", "priority", "subject")))


@pytest.fixture
def unchanged(db):
    """Assert, after the test, that no row was written or changed."""
    holder = {}

    def start():
        holder["before"] = _rows()

    yield start
    assert _rows() == holder["before"]


def _post_raw(client, url, text, method="post"):
    return getattr(client, method)(url, data=text, content_type="application/json")


@pytest.mark.parametrize("text", ["{", "[1, 2", "nope", '{"subject": "x",}'])
@pytest.mark.parametrize("endpoint", ["create", "comment", "transition", "patch", "assign"])
def test_malformed_json_is_400(api, agent, case, unchanged, text, endpoint):
    unchanged()
    base = f"/api/v1/cases/{case.reference}"
    url, method = {"create": ("/api/v1/cases/", "post"), "comment": (f"{base}/comments/", "post"),
                   "transition": (f"{base}/transitions/triage/", "post"), "patch": (f"{base}/", "patch"),
                   "assign": (f"{base}/assign/", "post")}[endpoint]
    response = _post_raw(api(agent), url, text, method)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("body,field", [
    ({}, "subject"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"subject": ["a"]}, "subject"),
    ({"subject": "ok", "priority": "P9"}, "priority"),
    ({"subject": "ok", "channel": "fax"}, "channel"),
    ({"subject": "ok", "product": 999999}, "product"),
    ({"subject": "ok", "product": "cards"}, "product"),
    ({"subject": "ok", "category": 999999}, "category"),
    ({"subject": "ok", "tags": "vip"}, "tags"),
    ({"subject": "ok", "tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"subject": "ok", "tags": ["x" * 51]}, "tags"),
    ({"subject": "ok", "custom_fields": []}, "custom_fields"),
    ({"subject": "ok", "custom_fields": {"a": {"b": 1}}}, "custom_fields"),
    ({"subject": "ok", "description": "x" * 100_001}, "description"),
    ({"subject": "ok", "state": "closed"}, "state"),
    ({"subject": "ok", "team": 1}, "team"),
    ({"subject": "ok", "requester": 999999}, "requester"),
    (["subject"], "non_field_errors"),
])
def test_create_refuses_bad_values(api, customer, unchanged, body, field):
    unchanged()
    response = api(customer).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]


@pytest.mark.parametrize("body,field", [
    ({"priority": "urgent"}, "priority"),
    ({"subject": ""}, "subject"),
    ({"subject": "y" * 201}, "subject"),
    ({"state": "closed"}, "state"),
    ({"assignee": 1}, "assignee"),
    ({"colour": "red"}, "colour"),
    ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"tags": [None]}, "tags"),
    ({"category": 999999}, "category"),
    ({"expected_version": -1}, "expected_version"),
    ({"expected_version": "abc"}, "expected_version"),
    ({"priority": "P1", "reason": "r" * 2001}, "reason"),
    ({"custom_fields": {"k" * 65: 1}}, "custom_fields"),
])
def test_patch_refuses_bad_values_and_unknown_fields(api, agent, case, unchanged, body, field):
    unchanged()
    response = api(agent).patch(f"/api/v1/cases/{case.reference}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


@pytest.mark.parametrize("body,field", [
    ({}, "body"),
    ({"body": "   "}, "body"),
    ({"body": "x" * 100_001}, "body"),
    ({"body": "hi", "public": "perhaps"}, "public"),
    ({"body": "hi", "visibility": "public"}, "visibility"),
])
def test_comment_refuses_bad_values(api, agent, case, unchanged, body, field):
    unchanged()
    response = api(agent).post(f"/api/v1/cases/{case.reference}/comments/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


@pytest.mark.parametrize("name,body,field", [
    ("triage", {"reason": "r" * 2001}, "reason"),
    ("triage", {"expected_version": "x"}, "expected_version"),
    ("triage", {"state": "closed"}, "state"),
    ("merge", {"into": "not a reference"}, "into"),
])
def test_transition_refuses_bad_values(api, agent, case, unchanged, name, body, field):
    unchanged()
    response = api(agent).post(f"/api/v1/cases/{case.reference}/transitions/{name}/", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]


@pytest.mark.parametrize("body,field", [
    ({}, "assignee"),
    ({"assignee": 999999}, "assignee"),
    ({"assignee": "alice"}, "assignee"),
    ({"assignee": None, "team": 999999}, "team"),
])
def test_assign_refuses_bad_values(api, agent, case, unchanged, body, field):
    unchanged()
    response = api(agent).post(f"/api/v1/cases/{case.reference}/assign/", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]


def test_assign_to_a_customer_or_outsider_is_400(api, agent, l2_agent, customer, case, unchanged):
    unchanged()
    for person in (customer, l2_agent):
        response = api(agent).post(f"/api/v1/cases/{case.reference}/assign/", {"assignee": person.pk}, format="json")
        assert response.status_code == 400 and "assignee" in response.json()["fields"]


@pytest.fixture
def small_limits(settings):
    settings.HELPDESK = {**settings.HELPDESK, "ATTACHMENT_MAX_BYTES": 1000}


def test_oversized_attachment_is_413_and_nothing_is_written(api, customer, case, small_limits, unchanged):
    unchanged()
    big = SimpleUploadedFile("log.txt", b"x" * 1001, content_type="text/plain")
    response = api(customer).post(f"/api/v1/cases/{case.reference}/comments/",
                                  {"body": "see log", "attachments": [big]}, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    big.seek(0)
    response = api(customer).post("/api/v1/cases/", {"subject": "With log", "attachments": [big]},
                                  format="multipart")
    assert response.status_code == 413


@pytest.mark.parametrize("filename", ["tool.exe", "script.sh", "page.html", "noextension"])
def test_disallowed_file_type_is_400_and_nothing_is_written(api, customer, case, unchanged, filename):
    unchanged()
    upload = SimpleUploadedFile(filename, b"MZ...", content_type="application/octet-stream")
    response = api(customer).post(f"/api/v1/cases/{case.reference}/comments/",
                                  {"body": "see file", "attachments": [upload]}, format="multipart")
    assert response.status_code == 400 and "attachments" in response.json()["fields"]


def test_too_many_attachments_is_400(api, customer, case, unchanged):
    unchanged()
    files = [SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain") for i in range(11)]
    response = api(customer).post(f"/api/v1/cases/{case.reference}/comments/",
                                  {"body": "many", "attachments": files}, format="multipart")
    assert response.status_code == 400 and "attachments" in response.json()["fields"]


def test_allowed_attachment_is_stored_with_the_comment(api, customer, case):
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = api(customer).post(f"/api/v1/cases/{case.reference}/comments/",
                                  {"body": "receipt", "attachments": [upload]}, format="multipart")
    assert response.status_code == 201
    assert [(a["filename"], a["content_type"], a["size"]) for a in response.json()["attachments"]] == [
        ("receipt.pdf", "application/pdf", 8)]


def test_filters_with_bad_values_are_400(api, agent, case):
    client = api(agent)
    for params, field in [({"state": "bogus"}, "state"), ({"team": "x"}, "team"),
                          ({"created_after": "yesterday"}, "created_after"), ({"priority": "P0"}, "priority"),
                          ({"cursor": "garbage"}, "cursor"), ({"ordering": "subject"}, None)]:
        response = client.get("/api/v1/cases/", params)
        if field is None:  # an unknown ordering falls back to the default, as DRF does
            assert response.status_code == 200
            continue
        assert response.status_code == 400, params
        assert field in response.json()["fields"]
