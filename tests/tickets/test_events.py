"""The event log is complete: any sequence of allowed operations leaves one event each, in order."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.errors import DomainError
from tickets.models import Case, CaseEvent, EventKind, State
from tickets.services.cases import case_assign, case_create, case_transition, case_update, comment_add

pytestmark = pytest.mark.django_db

TRANSITIONS = ["triage", "start", "wait_on_customer", "wait_on_internal", "resume", "resolve", "close",
               "reopen", "escalate", "de_escalate", "cancel"]

operations = st.one_of(
    st.tuples(st.just("transition"), st.sampled_from(TRANSITIONS)),
    st.tuples(st.just("assign"), st.sampled_from(["agent", "second_agent", None])),
    st.tuples(st.just("comment"), st.sampled_from(["public", "internal", "customer"])),
    st.tuples(st.just("update"), st.sampled_from(["P1", "P2", "P3", "P4"])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=12))
def test_random_operations_leave_one_event_each_in_order(ops, customer, agent, second_agent, support_team):
    people = {"agent": agent, "second_agent": second_agent, None: None}
    case = case_create(requester=customer, subject="Random walk", team=support_team)
    expected = [(EventKind.CREATED, customer.pk, None)]
    for op, arg in ops:
        before = Case.objects.get(pk=case.pk)
        count = CaseEvent.objects.filter(case=case).count()
        try:
            if op == "transition":
                case_transition(case=case, name=arg, actor=agent)
                produced = [(EventKind.TRANSITION, agent.pk, arg)]
            elif op == "assign":
                case_assign(case=case, assignee=people[arg], actor=agent)
                same = before.assignee_id == (people[arg].pk if people[arg] else None)
                produced = [] if same else [(EventKind.ASSIGNMENT, agent.pk, None)]
            elif op == "comment":
                author = customer if arg == "customer" else agent
                comment_add(case=case, author=author, body=f"{arg} words", public=arg != "internal")
                produced = [(EventKind.COMMENT, author.pk, None)]
                if arg == "customer" and before.state == State.WAITING_ON_CUSTOMER and before.assignee_id:
                    produced.append((EventKind.TRANSITION, customer.pk, "resume"))
                elif arg == "customer" and before.state == State.RESOLVED:
                    produced.append((EventKind.TRANSITION, customer.pk, "reopen"))
            else:
                case_update(case=case, actor=agent, changes={"priority": arg})
                produced = [] if before.priority == arg else [(EventKind.FIELD_CHANGE, agent.pk, None)]
        except DomainError:
            after = Case.objects.get(pk=case.pk)
            assert CaseEvent.objects.filter(case=case).count() == count, (op, arg)
            assert (after.state, after.version, after.assignee_id) == (before.state, before.version, before.assignee_id)
            continue
        after = Case.objects.get(pk=case.pk)
        new = list(CaseEvent.objects.filter(case=case, id__gt=_last_id(case, count)).order_by("id"))
        if op == "transition" and arg in ("escalate", "de_escalate"):
            # The escalation path then records where the case went (and a reassignment).
            assert {e.kind for e in new[1:]} <= {EventKind.ESCALATION, EventKind.ASSIGNMENT}, (op, arg)
            produced += [(e.kind, e.actor_id, e.data.get("transition")) for e in new[1:]]
        assert [(e.kind, e.actor_id, e.data.get("transition")) for e in new] == produced, (op, arg)
        if produced:
            assert after.version > before.version
            assert new[0].before.get("state", before.state) == before.state
            assert new[-1].after.get("state", after.state) == after.state
        expected += produced
    log = CaseEvent.objects.filter(case=case).order_by("id")
    assert [(e.kind, e.actor_id, e.data.get("transition")) for e in log] == expected
    times = [e.occurred_at for e in log]
    assert times == sorted(times)


def _last_id(case, count) -> int:
    ids = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("id", flat=True)[:count])
    return ids[-1] if ids else 0
