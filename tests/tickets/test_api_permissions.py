"""The permission matrix through the API: each role against each kind of object.

A case the caller may not see is 404 (never 403, so references cannot be probed); a
change the caller may not make on a case they see is 403; anonymous callers get 401.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CustomerFactory, ProductFactory
from tickets.models import Visibility
from tickets.services.cases import case_create, comment_add

pytestmark = pytest.mark.django_db

ROLES = ["customer", "org_admin", "colleague", "other_customer", "agent", "l2_agent", "manager",
         "finance_member", "admin_user", "anonymous"]

# Which roles see which case: own = the customer's, org = a colleague's in the same
# organization, other_team = a case of the L2 team, unrouted = no team yet.
SEES = {
    "own": {"customer", "org_admin", "agent", "manager", "admin_user"},
    "org": {"org_admin", "colleague", "agent", "manager", "admin_user"},
    "other_team": {"l2_agent", "manager", "admin_user"},
    "unrouted": {"agent", "l2_agent", "manager", "admin_user"},
}
STAFF = {"agent", "l2_agent", "manager", "finance_member", "admin_user"}

PUBLIC_REPLY = "We are looking into it"
SHARED_NOTE = "Shared note: card issuer outage"
RESTRICTED_NOTE = "Restricted note: suspect fraud"


@pytest.fixture
def people(request, customer, org_admin, colleague, other_customer, agent, l2_agent, manager, finance_member,
           admin_user):
    return {"customer": customer, "org_admin": org_admin, "colleague": colleague, "other_customer": other_customer,
            "agent": agent, "l2_agent": l2_agent, "manager": manager, "finance_member": finance_member,
            "admin_user": admin_user, "anonymous": None}


@pytest.fixture
def cases(customer, colleague, support_team, l2_team, agent):
    stranger = CustomerFactory(username="sam")
    own = case_create(requester=customer, subject="Own case", team=support_team,
                      attachments=[SimpleUploadedFile("receipt.txt", b"paid", content_type="text/plain")])
    comment_add(case=own, author=agent, body=PUBLIC_REPLY, public=True,
                attachments=[SimpleUploadedFile("public.txt", b"for you", content_type="text/plain")])
    comment_add(case=own, author=agent, body=SHARED_NOTE, public=False, shared=True)
    comment_add(case=own, author=agent, body=RESTRICTED_NOTE, public=False, author_team=support_team,
                attachments=[SimpleUploadedFile("internal.txt", b"secret", content_type="text/plain")])
    return {
        "own": own,
        "org": case_create(requester=colleague, subject="Org case", team=support_team),
        "other_team": case_create(requester=stranger, subject="L2 case", team=l2_team),
        "unrouted": case_create(requester=stranger, subject="Unrouted case"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_case_detail_list_and_children_follow_visibility(api, people, cases, role):
    client = api(people[role])
    listed = client.get("/api/v1/cases/", {"page_size": 50})
    if role == "anonymous":
        assert listed.status_code == 401
    else:
        assert listed.status_code == 200
        assert {c["reference"] for c in listed.json()["results"]} == {
            cases[k].reference for k, who in SEES.items() if role in who}
    for kind, case in cases.items():
        expected = 401 if role == "anonymous" else 200 if role in SEES[kind] else 404
        for suffix in ("", "comments/", "events/"):
            response = client.get(f"/api/v1/cases/{case.reference}/{suffix}")
            assert response.status_code == expected, (kind, suffix)


@pytest.mark.parametrize("role", ROLES)
def test_changes_on_an_invisible_case_are_404_never_403(api, people, cases, role):
    client = api(people[role])
    for kind, case in cases.items():
        if role in SEES[kind]:
            continue
        base = f"/api/v1/cases/{case.reference}"
        expected = 401 if role == "anonymous" else 404
        for method, url, body in [
            ("post", f"{base}/transitions/triage/", {}), ("post", f"{base}/transitions/cancel/", {}),
            ("post", f"{base}/comments/", {"body": "hello"}), ("patch", f"{base}/", {"priority": "P1"}),
            ("post", f"{base}/assign/", {"assignee": None}),
        ]:
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == expected, (kind, url)


def test_a_reference_that_does_not_exist_looks_like_an_invisible_one(api, customer, cases):
    client = api(customer)
    missing = client.get("/api/v1/cases/CS-999999/")
    hidden = client.get(f"/api/v1/cases/{cases['other_team'].reference}/")
    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()


@pytest.mark.parametrize("role", ["customer", "org_admin"])
def test_requester_side_may_see_but_not_work_the_case(api, people, cases, role):
    client = api(people[role])
    base = f"/api/v1/cases/{cases['own'].reference}"
    for method, url, body in [
        ("post", f"{base}/transitions/triage/", {}), ("post", f"{base}/transitions/resolve/", {}),
        ("patch", f"{base}/", {"priority": "P1"}), ("post", f"{base}/assign/", {"assignee": None}),
        ("post", f"{base}/transitions/merge/", {"into": cases["org"].reference}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role,visible", [
    ("customer", {PUBLIC_REPLY}),
    ("org_admin", {PUBLIC_REPLY}),
    ("agent", {PUBLIC_REPLY, SHARED_NOTE, RESTRICTED_NOTE}),
    ("manager", {PUBLIC_REPLY, SHARED_NOTE, RESTRICTED_NOTE}),
    ("admin_user", {PUBLIC_REPLY, SHARED_NOTE, RESTRICTED_NOTE}),
])
def test_comments_by_role(api, people, cases, role, visible):
    response = api(people[role]).get(f"/api/v1/cases/{cases['own'].reference}/comments/")
    assert {c["body"] for c in response.json()} == visible


@pytest.mark.parametrize("role", ["customer", "org_admin"])
def test_a_customer_never_meets_an_internal_note_anywhere_in_the_api(api, people, cases, role):
    client = api(people[role])
    base = f"/api/v1/cases/{cases['own'].reference}"
    bodies = [client.get(url).content.decode() for url in
              (f"{base}/", f"{base}/comments/", f"{base}/events/", "/api/v1/cases/", f"/api/v1/cases/?q=fraud")]
    for text in bodies:
        assert SHARED_NOTE not in text and RESTRICTED_NOTE not in text and "internal.txt" not in text
    events = json.loads(bodies[2])["results"]
    assert {e["visibility"] for e in events} == {Visibility.PUBLIC}
    assert [e["kind"] for e in events] == ["created", "comment"]


def test_attachment_downloads_follow_comment_visibility(api, people, cases):
    own = cases["own"]
    files = {a.filename: a.pk for a in own.attachments.all()}
    expectations = {
        "customer": {"receipt.txt": 200, "public.txt": 200, "internal.txt": 404},
        "org_admin": {"receipt.txt": 200, "public.txt": 200, "internal.txt": 404},
        "agent": {"receipt.txt": 200, "public.txt": 200, "internal.txt": 200},
        "manager": {"receipt.txt": 200, "public.txt": 200, "internal.txt": 200},
        "other_customer": {"receipt.txt": 404, "public.txt": 404, "internal.txt": 404},
        "l2_agent": {"receipt.txt": 404, "public.txt": 404, "internal.txt": 404},
        "finance_member": {"receipt.txt": 404, "public.txt": 404, "internal.txt": 404},
        "anonymous": {"receipt.txt": 401, "public.txt": 401, "internal.txt": 401},
    }
    for role, expected in expectations.items():
        client = api(people[role])
        got = {name: client.get(f"/api/v1/attachments/{pk}/download/").status_code for name, pk in files.items()}
        assert got == expected, role
    response = api(people["customer"]).get(f"/api/v1/attachments/{files['public.txt']}/download/")
    assert b"".join(response.streaming_content) == b"for you"
    assert api(people["agent"]).get("/api/v1/attachments/999999/download/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_reference_data_by_role(api, people, organization, role):
    ProductFactory(name="Cards")
    client = api(people[role])
    for url in ("/api/v1/products/", "/api/v1/categories/", "/api/v1/organizations/", "/api/v1/me/"):
        assert client.get(url).status_code == (401 if role == "anonymous" else 200), url
    expected = 401 if role == "anonymous" else 200 if role in STAFF else 403
    assert client.get("/api/v1/tags/").status_code == expected
    if role in ("customer", "org_admin", "colleague"):
        assert [o["name"] for o in client.get("/api/v1/organizations/").json()] == ["Acme"]
    if role == "other_customer":
        assert [o["name"] for o in client.get("/api/v1/organizations/").json()] == [people[role].organization.name]
