"""Shared fixtures: personas, API clients and the services-required switch.

With HELPDESK_REQUIRE_SERVICES=1 (CI sets it) a test that needs PostgreSQL or Redis
fails when the service is missing instead of being skipped.
"""

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import AgentFactory, CustomerFactory, MembershipFactory, OrganizationFactory, TeamFactory, UserFactory
from tickets.models import Role
from workflows.models import MembershipRole, TeamKind

REQUIRE_SERVICES = os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1"


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (HELPDESK_REQUIRE_SERVICES=1) but not configured or not answering")
    pytest.skip(f"{what} not configured")


def pytest_sessionstart(session):
    if REQUIRE_SERVICES:
        if not settings.IS_POSTGRES:
            raise pytest.UsageError("HELPDESK_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
        if not settings.REDIS_URL:
            raise pytest.UsageError("HELPDESK_REQUIRE_SERVICES=1 but REDIS_URL is not set")


@pytest.fixture
def needs_postgres():
    """Mark a test as meaningful only on PostgreSQL (row locks, SKIP LOCKED, full-text)."""
    if not settings.IS_POSTGRES:
        _missing("PostgreSQL")


@pytest.fixture
def needs_redis():
    """Return a Redis client, or skip/fail when REDIS_URL is unset or Redis does not answer."""
    if not settings.REDIS_URL:
        _missing("Redis")
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        _missing("Redis")
    return client


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def support_team(db):
    return TeamFactory(name="Support L1", slug="support-l1", kind=TeamKind.SUPPORT, tier=1)


@pytest.fixture
def l2_team(db):
    return TeamFactory(name="Support L2", slug="support-l2", kind=TeamKind.SUPPORT, tier=2)


@pytest.fixture
def finance_team(db):
    return TeamFactory(name="Finance", slug="finance", kind=TeamKind.DEPARTMENT, tier=None)


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme")


@pytest.fixture
def customer(organization):
    return CustomerFactory(username="carol", organization=organization)


@pytest.fixture
def other_customer(db):
    return CustomerFactory(username="oscar")


@pytest.fixture
def agent(support_team):
    user = AgentFactory(username="alice")
    MembershipFactory(team=support_team, user=user)
    return user


@pytest.fixture
def second_agent(support_team):
    user = AgentFactory(username="bob")
    MembershipFactory(team=support_team, user=user)
    return user


@pytest.fixture
def l2_agent(l2_team):
    user = AgentFactory(username="lena")
    MembershipFactory(team=l2_team, user=user)
    return user


@pytest.fixture
def manager(support_team, l2_team):
    user = UserFactory(username="maria", role=Role.MANAGER)
    MembershipFactory(team=support_team, user=user, role=MembershipRole.MANAGER)
    MembershipFactory(team=l2_team, user=user, role=MembershipRole.MANAGER)
    return user


@pytest.fixture
def finance_member(finance_team):
    user = UserFactory(username="frank", role=Role.DEPARTMENT)
    MembershipFactory(team=finance_team, user=user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def customer_token(customer):
    """The customer's API token."""
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=customer)


@pytest.fixture
def token_client(customer_token):
    """An API client sending the customer's token on every request, as an integration does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {customer_token.key}")
    return client


@pytest.fixture
def api():
    """Return a function giving an API client signed in as a user (or anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


# One Playwright for the whole browser run: its sync API owns an event loop in this
# thread, so a second `sync_playwright()` in the same process would refuse to start.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make around it are still plain synchronous code, so Django's guard is lifted
    # for the browser run only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                     args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Forget the per-process copies of rules, policies and tokens: each test's rows are rolled back after it."""
    from helpdesk.api.authentication import verified
    from helpdesk.process_copy import forget_all
    from workflows.services.automation import automation_rules_forget
    from workflows.services.routing import routing_rules_forget

    for forget in (routing_rules_forget, automation_rules_forget, forget_all, verified.clear):
        forget()
    yield
