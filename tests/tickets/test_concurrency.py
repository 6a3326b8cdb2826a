"""Two people changing the same case at the same moment, on PostgreSQL with real row locks."""

import threading

import pytest
from django.db import connections

from tickets.models import Case, CaseEvent, State
from tickets.services.cases import case_assign, case_create, case_transition

pytestmark = pytest.mark.usefixtures("needs_postgres")


def _together(*calls):
    """Run each call in its own thread, released at the same instant; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _case_in_progress(customer, agent, team):
    case = case_create(requester=customer, subject="Race", team=team)
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db(transaction=True)
def test_two_agents_changing_at_once_one_wins_the_other_gets_409(api, customer, agent, second_agent, support_team):
    for _ in range(3):
        case = _case_in_progress(customer, agent, support_team)
        events = CaseEvent.objects.filter(case=case).count()
        url = f"/api/v1/cases/{case.reference}/transitions/resolve/"
        responses = _together(lambda: api(agent).post(url, {}, format="json"),
                              lambda: api(second_agent).post(url, {}, format="json"))
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409]
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["state"] == State.RESOLVED
        assert loser["allowed_transitions"] == ["close", "reopen"]
        case.refresh_from_db()
        assert case.state == State.RESOLVED
        assert CaseEvent.objects.filter(case=case).count() == events + 1
        assert CaseEvent.objects.filter(case=case, data__transition="resolve").count() == 1

    # Escalating twice is legal; `expected_version` makes the slower of two clicks a 409.
    case = _case_in_progress(customer, agent, support_team)
    url = f"/api/v1/cases/{case.reference}/transitions/escalate/"
    body = {"expected_version": case.version}
    responses = _together(lambda: api(agent).post(url, body, format="json"),
                          lambda: api(second_agent).post(url, body, format="json"))
    assert sorted(r.status_code for r in responses) == [200, 409]
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert CaseEvent.objects.filter(case=case, data__transition="escalate").count() == 1


@pytest.mark.django_db(transaction=True)
def test_comment_and_transition_at_once_both_land(api, customer, agent, second_agent, support_team):
    case = _case_in_progress(customer, agent, support_team)
    version, events = case.version, CaseEvent.objects.filter(case=case).count()
    base = f"/api/v1/cases/{case.reference}"
    responses = _together(
        lambda: api(agent).post(f"{base}/comments/", {"body": "Fixed on our side", "public": True}, format="json"),
        lambda: api(second_agent).post(f"{base}/transitions/wait_on_internal/", {}, format="json"),
    )
    assert [r.status_code for r in responses] == [201, 200]
    case.refresh_from_db()
    assert case.state == State.WAITING_ON_INTERNAL and case.first_responded_at is not None
    assert case.version == version + 2
    kinds = sorted(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)[events:])
    assert kinds == ["comment", "transition"]
