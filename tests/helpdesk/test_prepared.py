"""`PreparedSelect`: model instances as the ORM builds them, related rows joined and cached."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from helpdesk.prepared import PreparedSelect
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, TeamFactory
from tickets.models import Case

pytestmark = pytest.mark.django_db

CASES = PreparedSelect(Case, related=("requester", "assignee", "team", "organization"), order_by="b.id")


def test_instances_equal_the_orms_with_their_relations_cached():
    agent, team = AgentFactory(), TeamFactory()
    made = [CaseFactory(assignee=agent, team=team, custom_fields={"order": "A-1", "n": [1, 2]}), CaseFactory()]
    with CaptureQueriesContext(connection) as queries:
        loaded = CASES.fetch_ids([made[1].pk, made[0].pk, 10**9])
        related = [(c.requester.username, c.assignee and c.assignee.username, c.team and c.team.name,
                    c.organization.name) for c in loaded]
    assert len(queries) == 1
    assert [c.pk for c in loaded] == [made[0].pk, made[1].pk]
    assert related == [(made[0].requester.username, agent.username, team.name, made[0].organization.name),
                       (made[1].requester.username, None, None, made[1].organization.name)]
    for case in loaded:
        orm = Case.objects.get(pk=case.pk)
        for field in Case._meta.concrete_fields:
            assert getattr(case, field.attname) == getattr(orm, field.attname), field.name
        assert not case._state.adding and case._state.db == "default"
    assert loaded[0].custom_fields == {"order": "A-1", "n": [1, 2]}


def test_nested_relations_and_a_where_clause():
    customer = CustomerFactory()
    token = Token.objects.create(user=customer)
    select = PreparedSelect(Token, related=("user", "user__organization"), where='b."key" = %s')
    with CaptureQueriesContext(connection) as queries:
        found = select.fetch([token.key])
        organization = found[0].user.organization
    assert len(queries) == 1
    assert organization == customer.organization and found[0].user == customer
    assert select.fetch(["no-such-token"]) == []


def test_no_ids_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert CASES.fetch_ids([]) == []
    assert len(queries) == 0


def test_only_foreign_keys_can_be_joined():
    with pytest.raises(ValueError):
        PreparedSelect(Case, related=("tags",))
