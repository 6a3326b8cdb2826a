import pytest
from django.core import mail

from tickets.models import CaseEvent, EventKind
from tickets.services.cases import case_create, case_transition, comment_add
from tickets.services.events import case_event_record
from helpdesk.eventlog import Actor
from helpdesk.errors import InvalidInput
from workflows.models import AutomationRun, Notification
from workflows.services.automation import MAX_DEPTH, automation_process
from workflows.services.rules import automation_rule_save

pytestmark = pytest.mark.django_db


def make(name, trigger, conditions, actions):
    return automation_rule_save(name=name, trigger=trigger, conditions=conditions, actions=actions)


def test_rules_run_after_commit_in_celery_and_name_themselves(customer, agent, support_team, eager_celery,
                                                              django_capture_on_commit_callbacks):
    make("Tag urgent", "case_created", [{"field": "subject", "op": "contains", "value": "urgent"}],
         [{"type": "add_tag", "tags": ["urgent"]}, {"type": "set_field", "field": "priority", "value": "P1"}])
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="URGENT: site down", team=support_team)
        # inside the request nothing has happened yet
        assert not case.tags.exists()
    case.refresh_from_db()
    assert case.priority == "P1" and list(case.tags.values_list("name", flat=True)) == ["urgent"]
    event = CaseEvent.objects.get(case=case, kind=EventKind.AUTOMATION)
    assert event.actor_kind == "rule" and event.actor_label == "Tag urgent" and event.data["depth"] == 1
    changes = CaseEvent.objects.filter(case=case, kind=EventKind.FIELD_CHANGE)
    assert {e.actor_label for e in changes} == {"Tag urgent"}


def test_loops_are_bounded_and_a_rule_never_retriggers_itself(customer, support_team, eager_celery,
                                                             django_capture_on_commit_callbacks):
    # Each rule's action is a field change, which triggers the other rule, and so on.
    make("Ping", "field_changed", [], [{"type": "add_tag", "tags": ["ping"]}, {"type": "set_field", "field": "custom.n", "value": 1}])
    make("Pong", "field_changed", [], [{"type": "set_field", "field": "custom.m", "value": 2}])
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Loop", team=support_team)
        from tickets.services.cases import case_update

        case_update(case=case, actor=Actor.system(), changes={"priority": "P2"})
    runs = AutomationRun.objects.all()
    # Ping and Pong react to the person's change, Pong to Ping's, Ping to Pong's once; then each
    # would react to its own chain and the chain stops.
    assert runs.count() == 5 and max(r.depth for r in runs) < MAX_DEPTH
    assert not runs.filter(rule__name="Ping", event__actor_label="Ping").exists()


def test_a_rule_acts_once_per_event_even_if_the_task_is_delivered_twice(customer, support_team):
    make("Note", "case_created", [], [{"type": "add_tag", "tags": ["seen"]}])
    case = case_create(requester=customer, subject="Hello", team=support_team)
    created = CaseEvent.objects.get(case=case, kind=EventKind.CREATED)
    assert automation_process(event_ids=[created.pk]) == 1
    assert automation_process(event_ids=[created.pk]) == 0


@pytest.mark.parametrize("data, trigger", [
    ({"type": "breach", "target": "resolution"}, "sla_breach"),
    ({"type": "warning", "target": "first_response", "threshold": 80}, "sla_warning"),
])
def test_sla_events_trigger_escalation(customer, support_team, agent, manager, data, trigger):
    make("Escalate on SLA", trigger, [], [{"type": "escalate", "reason": "SLA"}])
    case = case_create(requester=customer, subject="Slow", team=support_team)
    event = case_event_record(case=case, kind=EventKind.SLA, actor=Actor.sla("resolution"), data=data)
    automation_process(event_ids=[event.pk])
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.assignee == manager  # no path: straight to the manager
    assert CaseEvent.objects.get(case=case, kind=EventKind.ESCALATION).actor_label == "Escalate on SLA"


def test_second_reopen_escalates(customer, support_team, agent):
    make("Second reopen", "case_transitioned", [{"field": "event.transition", "op": "eq", "value": "reopen"},
                                                {"field": "reopen_count", "op": "gte", "value": 2}],
         [{"type": "escalate"}])
    case = case_create(requester=customer, subject="Again", team=support_team)
    from tickets.services.cases import case_assign

    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    levels = []
    for _ in range(2):
        case_transition(case=case, name="resolve", actor=agent)
        case_transition(case=case, name="reopen", actor=customer)
        automation_process(event_ids=[CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).latest("id").pk])
        case.refresh_from_db()
        levels.append(case.escalation_level)
    assert levels == [0, 1]  # the second reopen escalated


def test_customer_comment_notifies_the_assignee(customer, support_team, agent):
    make("Customer replied", "customer_commented", [],
         [{"type": "notify", "channel": "email", "to": ["assignee"], "title": "The customer replied"}])
    case = case_create(requester=customer, subject="Again", team=support_team)
    from tickets.services.cases import case_assign

    case_assign(case=case, assignee=agent, actor=agent)
    comment_add(case=case, author=customer, body="Any news?", public=True)
    mail.outbox.clear()
    automation_process(event_ids=[CaseEvent.objects.filter(case=case, kind=EventKind.COMMENT).latest("id").pk])
    case.refresh_from_db()
    note = Notification.objects.get(kind="automation")
    assert note.user == case.assignee and note.title == "The customer replied"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTIFICATION).exists()


@pytest.mark.parametrize("actions, message", [
    ([{"type": "fly"}], "unknown action type 'fly'"),
    ([{"type": "assign", "to": "nobody-here"}], "no active staff user called 'nobody-here'"),
    ([{"type": "transition", "name": "explode"}], "unknown transition 'explode'"),
    ([{"type": "notify", "channel": "pigeon"}], "channel must be one of"),
    ([{"type": "create_task", "department": "nowhere", "title": "x"}], "does not exist"),
])
def test_bad_automation_rules_are_refused(actions, message):
    with pytest.raises(InvalidInput) as info:
        make("Bad", "case_created", [], actions)
    assert message in str(info.value.extra["fields"])


def test_a_failing_action_is_recorded_and_rolled_back(customer, support_team):
    make("Close at once", "case_created", [], [{"type": "add_tag", "tags": ["x"]}, {"type": "transition", "name": "close"}])
    case = case_create(requester=customer, subject="Hi", team=support_team)
    automation_process(event_ids=[CaseEvent.objects.get(case=case, kind=EventKind.CREATED).pk])
    failure = CaseEvent.objects.get(case=case, kind=EventKind.AUTOMATION)
    assert failure.data["failed"] is True and not case.tags.exists()


def test_a_chain_of_different_rules_stops_at_the_depth_bound(customer, support_team, eager_celery,
                                                              django_capture_on_commit_callbacks):
    from tests.factories import CategoryFactory, ProductFactory
    from tickets.services.cases import case_update

    CategoryFactory(slug="chained")
    ProductFactory(slug="chained-product")
    make("R1", "field_changed", [{"field": "event.field", "op": "eq", "value": "priority"}],
         [{"type": "add_tag", "tags": ["r1"]}])
    make("R2", "field_changed", [{"field": "event.field", "op": "eq", "value": "tags"}],
         [{"type": "set_field", "field": "category", "value": "chained"}])
    make("R3", "field_changed", [{"field": "event.field", "op": "eq", "value": "category"}],
         [{"type": "set_field", "field": "product", "value": "chained-product"}])
    make("R4", "field_changed", [{"field": "event.field", "op": "eq", "value": "product"}],
         [{"type": "set_field", "field": "priority", "value": "P4"}])
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Chain", team=support_team)
        case_update(case=case, actor=Actor.system(), changes={"priority": "P2"})
    case.refresh_from_db()
    assert case.product.slug == "chained-product" and case.priority == "P2"  # R4 never ran
    assert sorted(AutomationRun.objects.values_list("rule__name", "depth")) == [("R1", 0), ("R2", 1), ("R3", 2)]


def test_create_task_action_routes_a_task_to_a_department(customer, support_team, agent, finance_team, finance_member):
    from tickets.services.cases import case_assign
    from workflows.models import Task

    make("Refund needs finance", "case_transitioned", [{"field": "event.transition", "op": "eq", "value": "start"},
                                                       {"field": "subject", "op": "contains", "value": "refund"}],
         [{"type": "create_task", "department": "finance", "title": "Approve the refund", "blocking": True}])
    case = case_create(requester=customer, subject="Refund for order 123", team=support_team)
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, name="start", actor=agent)
    automation_process(event_ids=[CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).latest("id").pk])
    task = Task.objects.get(case=case)
    assert task.department == finance_team and task.title == "Approve the refund"
    event = CaseEvent.objects.filter(case=case, kind=EventKind.AUTOMATION).latest("id")
    assert "created task" in event.reason and event.actor_label == "Refund needs finance"
