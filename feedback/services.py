"""Product feedback: capture a feedback case, group requests, decide, and close the loop.

A case categorised as product feedback becomes a FeedbackRequest on an item; the product
team hears of it in-app and by webhook. Setting an item's status tells every customer
who asked (once per decision) and records the loop as closed.
"""

from __future__ import annotations


from django.conf import settings
from django.db import transaction
from django_fsm import can_proceed

from feedback.models import FeedbackEvent, FeedbackItem, FeedbackRequest, FeedbackStatus
from helpdesk import bus, clock
from helpdesk.errors import Conflict, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets import reference
from tickets.models import Case, CaseEvent, EventKind, User, Visibility, team_ids
from tickets.services.events import case_event_record

STATUS_VERBS = {"planned": "plan", "shipped": "ship", "declined": "decline"}
STATUS_MESSAGES = {
    FeedbackStatus.PLANNED: "Good news: we plan to build what you asked for.",
    FeedbackStatus.SHIPPED: "What you asked for is now in the product.",
    FeedbackStatus.DECLINED: "We have decided not to build what you asked for, for now.",
}


def feedback_on_case_events(event_ids: list[int]) -> None:
    """Event-bus subscriber: queue the capture of cases that became product feedback.

    One query answers: the events that created or re-categorised a case now in the
    feedback category tree (kept per process), without a feedback request yet.
    """
    from feedback.tasks import feedback_capture_cases

    category_ids = feedback_category_ids()
    if not category_ids:
        return
    case_ids = sorted(set(
        CaseEvent.objects.filter(pk__in=event_ids, kind__in=[EventKind.CREATED, EventKind.FIELD_CHANGE],
                                 case__category_id__in=category_ids, case__feedback_request__isnull=True)
        .values_list("case_id", flat=True)
    ))
    if case_ids:
        feedback_capture_cases.delay(case_ids)


def feedback_category_ids() -> list[int]:
    """Return the ids of the feedback category and every category below it.

    Read from this process's copy of the category tree (`tickets.reference`): every
    committed batch of events asks, and the tree changes rarely.
    """
    rows = reference.categories.get().values()
    root = next((c for c in rows if c.slug == settings.HELPDESK_FEEDBACK_CATEGORY), None)
    if root is None:
        return []
    ids, frontier = [root.pk], {root.pk}
    while frontier:
        frontier = {c.pk for c in rows if c.parent_id in frontier}
        ids += sorted(frontier)
    return ids


def feedback_capture(*, case: Case) -> FeedbackRequest | None:
    """Record the case as a feedback request on a new item; tell the product team. Idempotent.

    The product area comes from the case's product; the theme from its first tag
    ("general" without tags). Returns None when the case is not product feedback.
    """
    if case.category_id not in feedback_category_ids():
        return None
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("product", "requester").get(pk=case.pk)
        existing = FeedbackRequest.objects.filter(case=case).first()
        if existing is not None:
            return existing
        area = case.product.area if case.product_id and case.product.area else (case.product.name if case.product_id else "")
        theme = next(iter(case.tags.order_by("name").values_list("name", flat=True)), "general")
        now = clock.now()
        item = FeedbackItem.objects.create(title=case.subject[:200], product=case.product, area=area, theme=theme,
                                           created_at=now)
        request = FeedbackRequest.objects.create(item=item, case=case, customer=case.requester, product=case.product,
                                                 area=area, theme=theme, created_at=now)
        _event(item, "captured", Actor.system("feedback"), data={"case": case.pk, "reference": case.reference})
        event = case_event_record(case=case, kind=EventKind.FEEDBACK, actor=Actor.system("feedback"),
                                  data={"type": "captured", "item": item.pk, "area": area, "theme": theme})
        bus.publish_on_commit([event.pk])
        _tell_product_team(request)
        return request


def feedback_request_move(*, request: FeedbackRequest, item: FeedbackItem, actor: User) -> FeedbackRequest:
    """Group a request under another item (the same idea asked for again)."""
    _check_product_team(actor)
    with transaction.atomic():
        old = request.item_id
        request.item = item
        request.save(update_fields=["item"])
        _event(item, "request_moved", Actor.of(actor), before={"item": old}, after={"item": item.pk},
               data={"case": request.case_id})
        return request


def feedback_status_set(*, item: FeedbackItem, status: str, actor: User, note: str = "") -> FeedbackItem:
    """Set planned, shipped or declined; tell each customer who asked once; record the loop closed.

    A customer with several requests on the item hears once. The item's loop is closed
    when every asker has been told this decision.
    """
    _check_product_team(actor)
    if status not in STATUS_VERBS:
        raise InvalidInput("Choose planned, shipped or declined.", fields={"status": ["Not a decision."]})
    with transaction.atomic():
        item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
        method = getattr(item, STATUS_VERBS[status])
        if not can_proceed(method):
            raise Conflict(f"A {item.get_status_display().lower()} item cannot become {status}.", state=item.status)
        before = item.status
        method()
        now = clock.now()
        item.status_note = (note or "").strip()
        item.status_changed_at = now
        pending = list(item.requests.exclude(told_status=status).select_related("customer", "case"))
        told: set[int] = set()
        events = []
        for request in pending:
            if request.customer_id not in told:
                told.add(request.customer_id)
                _tell_customer(request, item)
            events.append(case_event_record(
                case=request.case, kind=EventKind.FEEDBACK, actor=Actor.of(actor), visibility=Visibility.PUBLIC,
                after={"status": status}, data={"type": "loop_closed", "item": item.pk, "status": status}))
        item.requests.filter(pk__in=[r.pk for r in pending]).update(told_status=status, told_at=now)
        item.loop_closed_at = now
        item.save()
        _event(item, "status", Actor.of(actor), before={"status": before}, after={"status": status},
               reason=item.status_note)
        _event(item, "loop_closed", Actor.of(actor), data={"customers_told": len(told), "requests": len(pending)})
        bus.publish_on_commit([e.pk for e in events])
        return item


def _check_product_team(actor: User) -> None:
    from workflows.models import Team

    team = Team.objects.filter(slug=settings.HELPDESK_FEEDBACK_TEAM).first()
    if actor.is_admin_role or actor.is_manager_role or (team is not None and team.pk in team_ids(actor)):
        return
    raise NotFound("No such feedback.")


def _tell_product_team(request: FeedbackRequest) -> None:
    from workflows.models import Team
    from workflows.services.notifications import notify
    from workflows.services.tasks import webhook_send

    team = Team.objects.filter(slug=settings.HELPDESK_FEEDBACK_TEAM).first()
    if team is not None:
        members = User.objects.filter(memberships__team=team, is_active=True)
        notify(recipients=members, kind="product_feedback", title=f"Product feedback: {request.case.subject}",
               body=f"{request.area or 'No product area'} · {request.theme}", case=request.case,
               url=f"/desk/feedback/{request.item_id}/", data={"feedback_item": request.item_id}, email=False)
    payload = {"item": request.item_id, "case": request.case.reference, "area": request.area, "theme": request.theme,
               "subject": request.case.subject}
    transaction.on_commit(lambda: webhook_send("feedback.received", payload))


def _tell_customer(request: FeedbackRequest, item: FeedbackItem) -> None:
    from workflows.services.notifications import notify

    body = STATUS_MESSAGES[FeedbackStatus(item.status)]
    if item.status_note:
        body += f"\n\n{item.status_note}"
    notify(recipients=[request.customer], kind="feedback_status", title=f"Your feedback: {item.title}", body=body,
           case=request.case, url=f"/portal/cases/{request.case.reference}/",
           data={"feedback_item": item.pk, "status": item.status})


def _event(item: FeedbackItem, kind: str, actor: Actor, **fields) -> FeedbackEvent:
    event = FeedbackEvent(item=item, kind=kind, occurred_at=clock.now(), **fields)
    event.set_actor(actor)
    event.save()
    return event

