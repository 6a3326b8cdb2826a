"""API tokens: a token this process verified is trusted for a moment; changes made here apply at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from helpdesk.api import authentication
from helpdesk.api.authentication import TokenAuthentication, VerifiedTokens, verified
from tests.factories import OrganizationFactory
from tickets.models import Case, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The monotonic timer the window is measured on, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(authentication, "_now", lambda: now[0])
    return now


def _create(client, subject="The printer is on fire"):
    return client.post("/api/v1/cases/", {"subject": subject}, format="json")


def _token_reads(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"]]


def test_a_verified_token_is_trusted_again_without_asking_the_database(token_client):
    assert _create(token_client).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        for n in range(3):
            assert _create(token_client, f"Again {n}").status_code == 201
    assert _token_reads(queries) == []


def test_a_token_deleted_here_is_refused_by_the_next_request(token_client, customer_token):
    assert _create(token_client).status_code == 201
    customer_token.delete()
    response = _create(token_client, "After the token was deleted")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert not Case.objects.filter(subject="After the token was deleted").exists()


def test_a_user_deactivated_here_is_refused_by_the_next_request(token_client, customer):
    assert _create(token_client).status_code == 201
    customer.is_active = False
    customer.save()
    response = _create(token_client, "After the user was deactivated")
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."
    assert not Case.objects.filter(subject="After the user was deactivated").exists()


def test_a_user_deleted_here_is_refused_by_the_next_request(token_client, customer):
    assert token_client.get("/api/v1/cases/").status_code == 200
    customer.delete()  # the token goes with the user
    assert token_client.get("/api/v1/cases/").status_code == 401


def test_the_callers_organization_as_changed_here_is_used_at_once(token_client, customer):
    assert _create(token_client).json()["organization"]["tier"] == "standard"
    organization = customer.organization
    organization.tier = "enterprise"
    organization.save()
    assert _create(token_client, "After the upgrade").json()["organization"]["tier"] == "enterprise"

    moved_to = OrganizationFactory(name="Initech")
    customer.organization = moved_to
    customer.save()
    assert token_client.get("/api/v1/cases/").status_code == 200  # verified again, with Initech
    moved_to.delete()  # its people keep no organization: a database update, no save of theirs
    assert _create(token_client, "After Initech was deleted").json()["organization"] is None


def test_another_processs_change_is_seen_once_the_window_has_passed(token_client, customer, clock):
    assert _create(token_client).status_code == 201
    User.objects.filter(pk=customer.pk).update(is_active=False)  # as another process would: no signal here
    clock[0] += 1.9
    assert _create(token_client, "Within the window").status_code == 201
    clock[0] += 0.2
    assert _create(token_client, "After the window").status_code == 401


def test_with_no_window_every_request_asks_the_database(token_client, customer, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        assert _create(token_client).status_code == 201
        assert _create(token_client, "Second").status_code == 201
    assert len(_token_reads(queries)) == 2
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert _create(token_client, "Third").status_code == 401
    assert len(verified) == 0


def test_an_unknown_token_is_refused_every_time_and_never_kept(token_client):
    token_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):
            response = token_client.get("/api/v1/cases/")
            assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert len(_token_reads(queries)) == 2
    assert len(verified) == 0


def test_every_request_gets_its_own_user_built_from_the_kept_row(customer_token, customer):
    auth = TokenAuthentication()
    first, _ = auth.authenticate_credentials(customer_token.key)
    first.first_name = "Changed by one request"
    first.organization.name = "Changed too"
    with CaptureQueriesContext(connection) as queries:
        second, second_token = auth.authenticate_credentials(customer_token.key)
    assert len(queries) == 0
    assert second is not first and second.organization is not first.organization
    assert (second.pk, second.first_name, second.organization.name) == (customer.pk, customer.first_name, "Acme")
    assert second_token.key == customer_token.key and second_token.user is second


def test_a_row_read_while_a_change_was_made_is_used_but_not_kept(customer_token, customer, monkeypatch):
    select = authentication._token_select(Token)
    read = select.fetch_rows

    def read_while_the_user_changes(params, **kwargs):
        rows = read(params, **kwargs)
        verified.drop(user_id=customer.pk)  # another request saves the user meanwhile
        return rows

    monkeypatch.setattr(select, "fetch_rows", read_while_the_user_changes)
    user, _ = TokenAuthentication().authenticate_credentials(customer_token.key)
    assert user == customer
    assert len(verified) == 0


def test_at_most_max_tokens_are_kept_the_oldest_leaving_first():
    kept = VerifiedTokens(max_tokens=2)
    for key in ("a", "b", "c"):
        kept.keep(key, ["row", key], user_id=1, organization_id=None, generation=kept.generation)
    assert [kept.get(key, 60) for key in ("a", "b", "c")] == [None, ["row", "b"], ["row", "c"]]


def test_a_row_holding_a_mutable_value_is_not_kept():
    kept = VerifiedTokens()
    kept.keep("a", ["row", {"custom": 1}], user_id=1, organization_id=None, generation=kept.generation)
    assert kept.get("a", 60) is None and len(kept) == 0


def test_a_row_past_the_window_is_dropped(clock):
    kept = VerifiedTokens()
    kept.keep("a", ["row"], user_id=1, organization_id=None, generation=kept.generation)
    clock[0] += 2
    assert kept.get("a", 2) is None and len(kept) == 0


def test_tokens_changed_through_the_admins_proxy_apply_at_once(token_client, customer_token, other_customer):
    from rest_framework.authtoken.models import TokenProxy

    assert _create(token_client).json()["requester"]["username"] == "carol"
    proxy = TokenProxy.objects.get(key=customer_token.key)
    proxy.user = other_customer  # the admin's form moves a token to another person
    proxy.save()
    assert _create(token_client, "Raised by the token's new owner").json()["requester"]["username"] == "oscar"
    TokenProxy.objects.get(key=customer_token.key).delete()
    assert _create(token_client, "After the admin deleted it").status_code == 401
