"""What a routing rule leaves on a case it places: one write, the same events, clocks at the routed priority."""

from datetime import timedelta

import pytest

from sla.models import Clock
from tests.factories import AgentFactory, CustomerFactory, MembershipFactory, TeamFactory
from tests.workflows.races import create_at_once
from tickets.models import Case, CaseEvent, EventKind, Priority, State
from tickets.services.cases import case_create, case_transition, case_update
from workflows.models import Notification, RoutingRule, Strategy
from workflows.services import routing
from workflows.services.rules import routing_rule_delete, routing_rule_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    team = TeamFactory(name="Printer desk", slug="printer-desk", assignment_strategy=Strategy.LEAST_LOADED,
                       assign_on_arrival=True)
    MembershipFactory(team=team, user=AgentFactory(username="pia", first_name="Pia", last_name="Lund"))
    return team


@pytest.fixture
def policy(db):
    """P3: answer within 4 h, solve within 16 h; P2: 1 h and 8 h, around the clock."""
    from sla.models import TargetKind
    from sla.services.policies import calendar_define, policy_define

    always = calendar_define(name="Around the clock", always=True)
    return policy_define(name="Everyone", is_default=True, targets=[
        ("P3", TargetKind.FIRST_RESPONSE, 4 * 60, always), ("P3", TargetKind.RESOLUTION, 16 * 60, always),
        ("P2", TargetKind.FIRST_RESPONSE, 60, always), ("P2", TargetKind.RESOLUTION, 8 * 60, always),
    ])


_collected: list[int] = []


@pytest.fixture
def delivered(settings):
    """Collect the event ids handed to the subscribers (the live boards, automation, webhooks)."""
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.workflows.test_routing_apply.collect"]
    _collected.clear()
    yield _collected
    _collected.clear()


def collect(event_ids):
    _collected.extend(event_ids)


def printer_rule(**actions):
    return routing_rule_save(name="Printers", position=10,
                             conditions=[{"field": "subject", "op": "contains", "value": "printer"}],
                             actions={"team": "printer-desk", **actions})


def shown(event):
    return (event.kind, event.actor_kind, event.actor_label, event.before, event.after)


def test_a_rule_placing_a_new_case_sets_everything_and_records_what_the_services_would(
        customer, desk, policy, delivered, django_capture_on_commit_callbacks):
    printer_rule(priority="P2", add_tags=["hardware"])
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="The printer jams", tags=["floor-3"])
    stored = Case.objects.get(pk=case.pk)
    pia = desk.memberships.get().user
    for seen in (case, stored):  # the caller's instance is current: nobody needs to reload it
        assert (seen.team, seen.assignee, seen.priority, seen.state) == (desk, pia, Priority.P2, State.ASSIGNED)
        assert seen.version == stored.version
    assert sorted(stored.tags.values_list("name", flat=True)) == ["floor-3", "hardware"]

    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    routed = [e for e in events if e.kind in (EventKind.ROUTING, EventKind.FIELD_CHANGE, EventKind.ASSIGNMENT)]
    assert [shown(e) for e in routed[1:]] == [
        (EventKind.FIELD_CHANGE, "rule", "Printers", {"priority": "P3"}, {"priority": "P2"}),
        (EventKind.FIELD_CHANGE, "rule", "Printers", {"tags": ["floor-3"]}, {"tags": ["floor-3", "hardware"]}),
        (EventKind.ASSIGNMENT, "rule", "Printers",
         {"assignee": None, "assignee_name": "", "team": None, "team_name": "", "state": State.NEW},
         {"assignee": pia.pk, "assignee_name": "Pia Lund", "team": desk.pk, "team_name": "Printer desk",
          "state": State.ASSIGNED}),
    ]
    decision, priority, tags, assignment = routed
    assert decision.kind == EventKind.ROUTING and decision.actor_label == "Printers"
    assert decision.data["assignment"]["chosen_name"] == "Pia Lund" and decision.data["add_tags"] == ["hardware"]
    assert priority.reason == tags.reason == "Set by routing rule." and priority.data == {"field": "priority"}
    assert assignment.data["routing"] is True and "lightest load" in assignment.reason
    # The team board hears of the case from the assignment on: the earlier events happened outside the team.
    assert [e.team_id for e in routed] == [None, None, None, desk.pk]

    # The clocks start once routing has placed the case: at P2's targets from the creation
    # instant, in the team routing chose, with nothing to re-match.
    sla = [e for e in events if e.kind == EventKind.SLA]
    assert [(e.data["type"], e.data["priority"], e.team_id) for e in sla] == [("started", "P2", desk.pk)] * 2
    assert events.index(sla[0]) > events.index(assignment)
    due = {c.kind: c.due_at - c.started_at for c in Clock.objects.filter(case=case)}
    assert due == {"first_response": timedelta(hours=1), "resolution": timedelta(hours=8)}
    assert {(c.priority, c.started_at) for c in Clock.objects.filter(case=case)} == {("P2", stored.created_at)}

    # Every event reached the subscribers, once; the new owner was told.
    assert sorted(delivered) == [e.pk for e in events]
    assert Notification.objects.filter(user=pia, kind="assigned", case=case).count() == 1


def test_a_rule_that_sets_nothing_new_writes_only_its_decision(customer, desk):
    printer_rule(add_tags=["hardware"])
    case = case_create(requester=customer, subject="Printer offline", tags=["hardware"])
    kinds = list(CaseEvent.objects.filter(case=case).exclude(kind=EventKind.CREATED).values_list("kind", flat=True))
    assert kinds == [EventKind.ROUTING, EventKind.ASSIGNMENT]  # the tag was there already: no tag change
    assert case.version == Case.objects.get(pk=case.pk).version == 1


def test_reclassification_places_the_case_it_holds(customer, desk, agent):
    from tests.factories import CategoryFactory

    hardware = CategoryFactory(slug="hardware")
    routing_rule_save(name="Hardware", position=10, conditions=[{"field": "category", "op": "eq", "value": "hardware"}],
                      actions={"team": "printer-desk", "add_tags": ["hw"]})
    case = case_create(requester=customer, subject="Screen flickers")
    assert case.team is None
    updated = case_update(case=case, actor=agent, changes={"category": hardware})
    assert updated.team == desk and updated.assignee.username == "pia"
    assert updated.version == Case.objects.get(pk=case.pk).version
    reasons = list(CaseEvent.objects.filter(case=case, kind=EventKind.ROUTING).values_list("data__trigger", flat=True))
    assert reasons == ["reclassified"]
    assert list(updated.tags.values_list("name", flat=True)) == ["hw"]


def test_a_failing_apply_leaves_the_case_in_the_default_queue_with_a_failed_event(customer, desk, policy):
    # A customer account added to the team by mistake is the only member: the rule picks it.
    desk.memberships.all().delete()
    MembershipFactory(team=desk, user=CustomerFactory(username="not-staff"))
    printer_rule(priority="P2", add_tags=["hardware"])
    case = case_create(requester=customer, subject="Printer on fire")
    stored = Case.objects.get(pk=case.pk)
    for seen in (case, stored):
        assert (seen.team, seen.assignee, seen.priority, seen.state, seen.version) == (None, None, "P3", State.NEW, 0)
    assert not stored.tags.exists()
    decision, failed = CaseEvent.objects.filter(case=case, kind=EventKind.ROUTING).order_by("id")
    assert decision.data["rule"] == "Printers" and not decision.data.get("failed")
    assert failed.data["failed"] is True and "Only active staff can be assigned" in failed.reason
    assert "stays in the default queue" in failed.reason and failed.actor_label == "Printers"
    assert not CaseEvent.objects.filter(case=case, kind__in=[EventKind.FIELD_CHANGE, EventKind.ASSIGNMENT]).exists()
    assert {c.priority for c in Clock.objects.filter(case=case)} == {"P3"}  # nothing re-matched


def test_a_resolved_case_reclassified_keeps_its_owner_and_says_why(customer, desk, agent, support_team):
    from tests.factories import CategoryFactory
    from tickets.services.cases import case_assign

    hardware = CategoryFactory(slug="hardware")
    routing_rule_save(name="Hardware", position=10, conditions=[{"field": "category", "op": "eq", "value": "hardware"}],
                      actions={"team": "printer-desk", "add_tags": ["hw"]})
    case = case_create(requester=customer, subject="Screen flickers")
    case_assign(case=case, assignee=agent, team=support_team, actor=agent)
    for name in ("start", "resolve"):
        case_transition(case=case, name=name, actor=agent)
    version = Case.objects.get(pk=case.pk).version
    updated = case_update(case=case, actor=agent, changes={"category": hardware})
    stored = Case.objects.get(pk=case.pk)
    for seen in (updated, stored):
        assert (seen.team, seen.assignee, seen.state, seen.category) == (support_team, agent, State.RESOLVED, hardware)
    assert stored.version == version + 1  # the category change; nothing of the rule's actions
    assert not stored.tags.exists()
    failed = CaseEvent.objects.filter(case=case, kind=EventKind.ROUTING).last()
    assert failed.data["failed"] is True and "resolved case cannot be reassigned" in failed.reason


def test_a_saved_rule_takes_effect_on_the_next_case_in_this_process(customer, desk):
    other = TeamFactory(slug="other-desk", assignment_strategy=Strategy.MANUAL)
    rule = printer_rule()
    assert case_create(requester=customer, subject="Printer one").team == desk
    routing_rule_save(rule=rule, actions={"team": "other-desk"})
    assert case_create(requester=customer, subject="Printer two").team == other
    routing_rule_delete(rule=rule)
    assert case_create(requester=customer, subject="Printer three").team is None


def test_a_rule_changed_by_another_process_is_noticed_within_the_recheck_time(customer, desk, monkeypatch):
    other = TeamFactory(slug="other-desk", assignment_strategy=Strategy.MANUAL)
    rule = printer_rule()
    assert case_create(requester=customer, subject="Printer one").team == desk
    # Another process's save: no signal reaches this one, only the new revision in the table.
    RoutingRule.objects.filter(pk=rule.pk).update(actions={"team": "other-desk"}, revision=rule.revision + 1)
    assert case_create(requester=customer, subject="Printer two").team == desk  # within RECHECK_SECONDS
    monkeypatch.setattr(routing, "RECHECK_SECONDS", 0)
    assert case_create(requester=customer, subject="Printer three").team == other


@pytest.mark.django_db(transaction=True)
def test_two_cases_placed_by_a_rule_at_once_never_both_take_the_last_slot(needs_postgres):
    team = TeamFactory(slug="printer-desk", assignment_strategy=Strategy.LEAST_LOADED, default_capacity=1,
                       assign_on_arrival=True)
    ann = AgentFactory(username="ann")
    MembershipFactory(team=team, user=ann)
    printer_rule()
    requester = CustomerFactory()
    errors = create_at_once(requester, ["printer race 0", "printer race 1"])
    assert errors == []
    assert Case.objects.filter(team=team, assignee=ann).count() == 1
    assert Case.objects.filter(team=team, assignee__isnull=True).count() == 1
