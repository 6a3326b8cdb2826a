import pytest

from tests.factories import AgentFactory, MembershipFactory, TeamFactory
from tickets.models import CaseEvent, EventKind
from tickets.services.cases import case_assign, case_create, case_transition
from workflows.models import Strategy
from workflows.services.escalation import escalation_path_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def path(support_team, l2_team, manager, agent, l2_agent):
    l2_team.assignment_strategy = Strategy.LEAST_LOADED
    l2_team.save()  # escalation picks by the strategy whether or not the team assigns on arrival
    return escalation_path_set(team=support_team, tiers=[l2_team], manager=manager)


def test_escalation_climbs_the_path_to_the_manager_and_de_escalation_returns(path, customer, support_team, l2_team,
                                                                              agent, l2_agent, manager):
    case = case_create(requester=customer, subject="Broken", team=support_team)
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="escalate", actor=agent, reason="Needs L2")
    case.refresh_from_db()
    assert (case.escalation_level, case.team, case.assignee) == (1, l2_team, l2_agent)
    case_transition(case=case, name="escalate", actor=l2_agent, reason="Customer wants a manager")
    case.refresh_from_db()
    assert case.escalation_level == 2 and case.assignee == manager  # above the top tier: never nowhere
    case_transition(case=case, name="de_escalate", actor=manager)
    case.refresh_from_db()
    assert (case.escalation_level, case.team, case.assignee) == (1, l2_team, l2_agent)
    case_transition(case=case, name="de_escalate", actor=l2_agent)
    case.refresh_from_db()
    assert case.escalation_level == 0 and case.team == support_team
    events = CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATION).order_by("id")
    assert [e.data["level"] for e in events] == [1, 2, 1, 0]
    assert events[0].reason == "Needs L2" and "tier 1" in events[0].data["summary"]


def test_a_team_without_a_path_escalates_to_its_lead(customer, agent, support_team):
    boss = AgentFactory(username="boss")
    MembershipFactory(team=support_team, user=boss, role="lead")
    case = case_create(requester=customer, subject="Angry", team=support_team)
    case_transition(case=case, name="escalate", actor=agent)
    case.refresh_from_db()
    assert case.assignee == boss and case.escalation_level == 1


def test_a_path_cannot_visit_a_team_twice(support_team, l2_team):
    from helpdesk.errors import InvalidInput

    with pytest.raises(InvalidInput):
        escalation_path_set(team=support_team, tiers=[l2_team, l2_team])
    with pytest.raises(InvalidInput):
        escalation_path_set(team=support_team, tiers=[TeamFactory(), support_team])
