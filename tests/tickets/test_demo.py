"""`manage.py seed_demo`: demo data in every state with real histories, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from tickets.demo import DEMO_LOGINS, DEMO_PASSWORD
from tickets.models import Case, CaseEvent, EventKind, Organization, Role, State, Tier, User
from workflows.models import Team

pytestmark = pytest.mark.slow


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model._meta.app_label in {"tickets", "workflows", "sla", "knowledge", "feedback", "helpdesk"}}


@pytest.fixture
def seeded(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    assert "NOT loaded" not in err.getvalue(), err.getvalue()
    return out.getvalue()


def test_demo_cases_cover_every_state_each_with_its_history(seeded):
    demo = Case.objects.filter(custom_fields__has_key="demo_seq")
    assert demo.count() >= 300
    assert {s for s in demo.values_list("state", flat=True)} == set(State.values)
    created = set(CaseEvent.objects.filter(kind=EventKind.CREATED).values_list("case_id", flat=True))
    assert set(demo.values_list("pk", flat=True)) <= created
    closed = demo.filter(state=State.CLOSED).first()
    kinds = [e.kind for e in closed.events.order_by("id")]
    assert kinds[0] == EventKind.CREATED and kinds.count(EventKind.TRANSITION) >= 3
    assert closed.closed_at is not None and closed.resolved_at is not None
    assert demo.filter(state=State.MERGED, merged_into__isnull=False).exists()
    assert demo.filter(reopen_count__gt=0).exists()
    assert demo.filter(comments__is_public=False).exists() and demo.filter(comments__is_public=True).exists()


def test_demo_people_teams_and_organizations_are_there(seeded):
    group = Organization.objects.get(name="Initech Group")
    assert group.tier == Tier.ENTERPRISE and group.children.count() >= 2
    assert {o.tier for o in Organization.objects.all()} == set(Tier.values)
    assert group.entitled_products.exists()
    teams = Team.objects.all()
    assert {"support-l1", "support-l2", "finance", "engineering", "product"} <= {t.slug for t in teams}
    assert len({t.time_zone for t in teams}) >= 3
    assert User.objects.filter(role=Role.CUSTOMER, is_org_admin=True).exists()
    for username, _ in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    for username, _ in DEMO_LOGINS:
        assert username in seeded
    assert DEMO_PASSWORD in seeded


def test_a_second_run_changes_nothing(seeded):
    before = _row_counts()
    last_event = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _row_counts() == before
    assert CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() == last_event
    assert "already there" in out.getvalue()
