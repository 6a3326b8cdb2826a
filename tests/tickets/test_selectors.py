"""Reads scoped to the person asking: visibility of cases, notes and events, and search."""

import pytest

from tickets import selectors
from tickets.models import Case
from tickets.services.cases import case_create, case_update, comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes(case, agent, finance_member, support_team, finance_team, finance_reaches_case):
    comment_add(case=case, author=agent, body="reply", public=True)
    comment_add(case=case, author=agent, body="shared", public=False, shared=True, author_team=support_team)
    comment_add(case=case, author=agent, body="support only", public=False, author_team=support_team)
    comment_add(case=case, author=finance_member, body="finance only", public=False, author_team=finance_team)
    return case


@pytest.fixture
def finance_reaches_case(monkeypatch, case):
    """Stand in for the tasks app: finance works a task routed from `case`."""
    monkeypatch.setattr("workflows.selectors.access.case_ids_for_department_member",
                        lambda user: Case.objects.filter(pk=case.pk).values("pk"))
    monkeypatch.setattr("workflows.services.access.department_works_case", lambda *, user, case: True)


def test_department_member_sees_the_case_behind_their_task_but_not_other_teams_notes(notes, finance_member):
    assert list(selectors.cases_visible_to(finance_member)) == [notes]
    bodies = [c.body for c in selectors.comments_visible_to(finance_member, notes)]
    assert bodies == ["reply", "shared", "finance only"]
    comment_events = [e.data["excerpt"] for e in selectors.events_visible_to(finance_member, notes)
                      if e.kind == "comment"]
    assert comment_events == ["reply", "shared", "finance only"]


def test_department_member_without_tasks_sees_nothing(case, finance_member):
    assert not selectors.cases_visible_to(finance_member).exists()


def test_case_staff_and_managers_see_every_note(notes, agent, manager):
    for user in (agent, manager):
        assert [c.body for c in selectors.comments_visible_to(user, notes)] == [
            "reply", "shared", "support only", "finance only"]


def test_customer_sees_public_replies_and_public_events_only(notes, customer, agent):
    case_update(case=notes, actor=agent, changes={"priority": "P1"})
    assert [c.body for c in selectors.comments_visible_to(customer, notes)] == ["reply"]
    kinds = [e.kind for e in selectors.events_visible_to(customer, notes)]
    assert kinds == ["created", "comment"]


def test_events_after_an_id(notes, agent):
    events = list(selectors.events_visible_to(agent, notes))
    later = list(selectors.events_visible_to(agent, notes, after_id=events[1].pk))
    assert later == events[2:]


def test_author_team_is_the_cases_team_when_the_author_is_in_it(case, agent, manager, finance_member,
                                                                 support_team, finance_team, customer):
    assert selectors.author_team_for(agent, case) == support_team
    assert selectors.author_team_for(manager, case) == support_team
    assert selectors.author_team_for(finance_member, case) == finance_team
    assert selectors.author_team_for(customer, case) is None


def test_inactive_user_sees_nothing(case, agent):
    agent.is_active = False
    assert not selectors.cases_visible_to(agent).exists()


@pytest.fixture
def searchable(customer, support_team):
    return [
        case_create(requester=customer, subject="Card declined at checkout", description="Visa", team=support_team),
        case_create(requester=customer, subject="Refund", description="Card was charged twice", team=support_team),
        case_create(requester=customer, subject="Login fails", description="Password reset", team=support_team),
    ]


@pytest.mark.parametrize("postgres_search", [True, False], ids=["fulltext", "substring"])
def test_search_by_words_and_reference(settings, searchable, postgres_search):
    if postgres_search and not settings.IS_POSTGRES:
        pytest.skip("full-text search runs on PostgreSQL")
    settings.IS_POSTGRES = postgres_search
    qs = Case.objects.all()

    def found(text):
        return {c.pk for c in selectors.case_search(qs, text)}

    declined, refund, login = (c.pk for c in searchable)
    assert found("card") == {declined, refund}
    assert found("password") == {login}
    assert found(searchable[2].reference) == {login}
    assert found(searchable[2].reference.lower()) == {login}
    assert found("   ") == {declined, refund, login}
    assert found("nothing-like-this") == set()


def test_fulltext_matches_words_in_any_order(searchable, needs_postgres):
    assert [c.subject for c in selectors.case_search(Case.objects.all(), "declined card")] == [
        "Card declined at checkout"]
