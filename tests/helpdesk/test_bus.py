"""The event bus: one delivery per committed transaction, nothing for what was rolled back."""

import pytest
from django.db import transaction

from helpdesk import bus
from tests.factories import AgentFactory, CategoryFactory, MembershipFactory, TeamFactory
from tickets.models import CaseEvent, EventKind
from tickets.services.cases import case_create
from workflows.models import Strategy
from workflows.services.rules import routing_rule_save

pytestmark = pytest.mark.django_db

delivered: list[list[int]] = []


def record(event_ids):
    delivered.append(list(event_ids))


@pytest.fixture(autouse=True)
def recording_subscriber(settings):
    delivered.clear()
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record"]
    yield delivered
    delivered.clear()


def test_calls_in_one_transaction_are_delivered_once_together(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([1, 2])
            bus.publish_on_commit([3])
            assert delivered == []  # nothing before the commit
    assert delivered == [[1, 2, 3]]


def test_a_rolled_back_savepoint_does_not_lose_the_rest(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([1])
            try:
                with transaction.atomic():
                    bus.publish_on_commit([2])
                    raise RuntimeError("refused")
            except RuntimeError:
                pass
            bus.publish_on_commit([3])
    assert len(delivered) == 1 and {1, 3} <= set(delivered[0])


def test_everything_rolled_back_delivers_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                bus.publish_on_commit([1])
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        with transaction.atomic():
            bus.publish_on_commit([7])
    assert delivered == [[7]]


def test_two_transactions_are_two_deliveries(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([1])
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([2])
    assert delivered == [[1], [2]]


def test_a_routed_creation_reaches_subscribers_in_one_delivery(customer, django_capture_on_commit_callbacks):
    billing = CategoryFactory(name="Billing", slug="billing")
    team = TeamFactory(name="Finance desk", slug="finance-desk", assignment_strategy=Strategy.ROUND_ROBIN,
                       assign_on_arrival=True)
    MembershipFactory(team=team, user=AgentFactory(username="fiona"))
    routing_rule_save(name="Billing to finance", conditions=[{"field": "category", "op": "eq", "value": "billing"}],
                      actions={"team": "finance-desk", "priority": "P2", "add_tags": ["money"]}, position=10)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(requester=customer, subject="Refund please", category=billing)
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {EventKind.CREATED, EventKind.ROUTING, EventKind.ASSIGNMENT} <= kinds
    assert len(delivered) == 1
    assert sorted(delivered[0]) == sorted(CaseEvent.objects.filter(case=case).values_list("pk", flat=True))


# --- delivery from the background thread (web processes) -------------------------------

import threading  # noqa: E402
import time  # noqa: E402

gate = threading.Event()
threads: list[str] = []


def slow_record(event_ids):
    gate.wait(5)
    threads.append(threading.current_thread().name)
    delivered.append(list(event_ids))


@pytest.fixture
def background(settings):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.slow_record"]
    gate.clear()
    threads.clear()
    yield
    gate.set()
    bus.background_stop()


def test_in_background_the_committing_thread_does_not_wait(background, django_capture_on_commit_callbacks):
    bus.background_start()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([1])
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([2, 3])
    assert delivered == []  # the subscriber is still blocked, yet the commits returned
    gate.set()
    assert bus.background_drain(5)
    assert sum(delivered, []) == [1, 2, 3]  # in commit order
    assert set(threads) == {"helpdesk-event-bus"}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def publish_and_commit(ids):
        with django_capture_on_commit_callbacks(execute=True):
            bus.publish_on_commit(ids)
    return publish_and_commit


def wait_until_taken():
    for _ in range(100):
        if bus._dispatcher.queue.empty():
            return
        threading.Event().wait(0.02)
    raise AssertionError("the delivery thread did not take the batch")


def test_commits_made_during_a_delivery_are_delivered_together_in_order(background, commit):
    bus.background_start()
    commit([1])
    wait_until_taken()  # the thread now blocks in the subscriber with [1]
    commit([2])
    commit([3, 4])
    commit([5])
    gate.set()
    assert bus.background_drain(5)
    assert delivered == [[1], [2, 3, 4, 5]]


def test_a_coalesced_delivery_has_a_bounded_size(background, commit, monkeypatch):
    monkeypatch.setattr(bus, "COALESCE_MAX_IDS", 3)
    bus.background_start()
    commit([1])
    wait_until_taken()
    for ids in ([2, 3], [4, 5], [6], [7]):
        commit(ids)
    gate.set()
    assert bus.background_drain(5)
    assert delivered == [[1], [2, 3, 4, 5], [6, 7]]


@pytest.fixture
def background_recording(settings):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record"]
    yield
    bus.background_stop()


def test_under_a_steady_flow_the_thread_waits_for_more_commits(background_recording, commit, monkeypatch):
    monkeypatch.setattr(bus, "COALESCE_WAIT_SECONDS", 0.5)
    bus.background_start()
    started = time.monotonic()
    commit([1])
    assert bus.background_drain(5)
    assert delivered == [[1]] and time.monotonic() - started < 0.4  # a lone change is not held back
    commit([2])  # soon after the last delivery: the thread waits for more
    commit([3])
    assert bus.background_drain(5)
    assert delivered == [[1], [2, 3]]


def test_a_full_queue_makes_the_committing_thread_deliver(background, commit):
    bus.background_start(max_batches=1)
    commit([1])  # taken by the thread, which blocks in the subscriber
    wait_until_taken()
    commit([2])  # queued
    releaser = threading.Timer(0.2, gate.set)
    releaser.start()
    commit([3])  # queue full: delivered on this thread, once the gate opens
    assert threading.current_thread().name in threads
    assert bus.background_drain(5)
    assert sorted(sum(delivered, [])) == [1, 2, 3]


def test_stopping_delivers_what_is_queued(background, commit):
    bus.background_start()
    commit([9])
    gate.set()
    assert bus.background_stop(5)
    assert delivered == [[9]]
    commit([10])  # back on the committing thread
    assert delivered == [[9], [10]] and threads[-1] == threading.current_thread().name


# --- rows handed over with committed events --------------------------------------------

seen_rows: list[dict] = []


def record_rows(event_ids):
    delivered.append(list(event_ids))
    seen_rows.append(dict(bus.rows_delivered()))


def test_rows_are_not_taken_from_a_change_inside_a_transaction(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record_rows"]
    seen_rows.clear()
    asked = []
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bus.publish_on_commit([1], rows=lambda: asked.append(1) or {1: "the event as written"})
    # A savepoint rolled back later could have left the copies describing nothing.
    assert delivered == [[1]] and seen_rows == [{}] and asked == []
    assert bus.rows_delivered() == {}


def test_rows_of_coalesced_batches_travel_together(background, settings):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record_rows"]
    seen_rows.clear()
    bus.background_start()
    bus.hand_over([1], {1: "first"})
    bus.hand_over([2, 3], {3: "third"})
    bus.hand_over([4])
    assert bus.background_drain(5)
    assert sum(delivered, []) == [1, 2, 3, 4]
    merged = {}
    for rows in seen_rows:
        merged.update(rows)
    assert merged == {1: "first", 3: "third"}


def test_failing_copies_cost_a_load_never_the_change(settings, caplog):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record_rows"]
    seen_rows.clear()

    def broken():
        raise RuntimeError("cannot copy")

    bus.hand_over([5], bus._copies(broken, [5]))
    assert delivered == [[5]] and seen_rows == [{}]
    assert "could not be made" in caplog.text


nested: list[tuple[str, dict]] = []


def record_nested(event_ids):
    nested.append(("outer-before", dict(bus.rows_delivered())))
    if event_ids == [1]:
        bus.deliver([2], {2: "inner"})  # a change this subscriber made, delivered on this thread
    nested.append(("outer-after", dict(bus.rows_delivered())))


def test_a_delivery_inside_a_delivery_gives_the_outer_one_its_rows_back(settings):
    settings.HELPDESK_EVENT_SUBSCRIBERS = ["tests.helpdesk.test_bus.record_nested"]
    nested.clear()
    bus.deliver([1], {1: "outer"})
    assert nested == [("outer-before", {1: "outer"}), ("outer-before", {2: "inner"}), ("outer-after", {2: "inner"}),
                      ("outer-after", {1: "outer"})]
    assert bus.rows_delivered() == {}
