"""Agent workspace: queues with filters, search, sort and paging; bulk actions; saved views."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk.errors import DomainError, NotFound
from tickets import queues, selectors
from tickets.api.filters import CaseFilter
from tickets.forms import BulkForm, QueueFilterForm, SavedViewForm
from tickets.models import TRANSITION_LABELS, SavedView, User
from tickets.services import cases as case_services
from tickets.services.saved_views import saved_view_create, saved_view_delete
from tickets.views.base import case_or_404, is_htmx, safe_next, staff_required

PAGE_SIZE = 25
# Transitions offered in bulk; each row is still checked by the service for that case.
BULK_TRANSITIONS = ["triage", "start", "wait_on_customer", "wait_on_internal", "resume", "resolve", "close",
                    "escalate", "cancel"]


@staff_required
def home(request):
    return redirect("desk:queue", key="mine")


@staff_required
def queue(request, key: str):
    """One queue: filters and search (the API's CaseFilter), a sort, and simple paging."""
    if key not in queues.QUEUE_KEYS:
        return redirect("desk:queue", key="all")
    sort = request.GET.get("sort", queues.DEFAULT_SORT)
    if sort not in queues.SORTS:
        sort = queues.DEFAULT_SORT
    form = QueueFilterForm(request.GET or None, user=request.user)
    cases = CaseFilter(request.GET, queryset=queues.queue_cases(request.user, key, sort=sort)).qs
    page = _page_number(request)
    # One row more than the page tells whether a next page exists without counting them all.
    rows = list(cases[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for case in rows:
        case.allowed = case_services.transitions_for(case, request.user)
    request.session["desk_nav"] = {"ids": [c.pk for c in rows], "url": request.get_full_path()}
    params = request.GET.copy()
    params.pop("page", None)
    base_query = params.urlencode()
    on_page = {name for case in rows for name in case.allowed}
    context = {
        "queue": queues.QUEUE_KEYS[key],
        "form": form,
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "query": base_query,
        "sort": sort,
        "sort_links": _sort_links(params, sort),
        "bulk_transitions": [(n, TRANSITION_LABELS[n]) for n in BULK_TRANSITIONS if n in on_page],
        "bulk_assignees": _assignees(request.user),
        "bulk_results": request.session.pop("bulk_results", None),
        "filtered": any(k for k in request.GET if k not in ("sort", "page")),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "queue-results":
        return render(request, "desk/_queue_results.html", context)
    return render(request, "desk/queue.html", context)


@staff_required
@require_POST
def bulk(request):
    """Apply one action to each selected case in its own transaction; report per row."""
    form = BulkForm(request.POST)
    back = safe_next(request, reverse("desk:queue", args=["mine"]))
    if not form.is_valid():
        messages.error(request, "Select at least one case and an action.")
        return redirect(back)
    action = form.cleaned_data["action"]
    assignee = None
    if action == "assign":
        assignee = User.objects.filter(pk=form.cleaned_data.get("assignee") or 0, is_active=True).first()
        if assignee is None:
            messages.error(request, "Choose who to assign the cases to.")
            return redirect(back)
    results = []
    for pk in form.cleaned_data["ids"][:100]:
        results.append(_bulk_one(request.user, pk, action, assignee))
    done = sum(1 for r in results if r["ok"])
    request.session["bulk_results"] = results
    messages.info(request, f"{done} of {len(results)} cases updated.")
    return redirect(back)


def _bulk_one(user, pk: int, action: str, assignee) -> dict:
    try:
        case = selectors.case_get(user, pk)
    except NotFound:
        return {"ref": f"#{pk}", "ok": False, "message": "No such case."}
    try:
        if action == "assign_me":
            case_services.case_assign(case=case, assignee=user, actor=user)
            message = "Assigned to you."
        elif action == "assign":
            case_services.case_assign(case=case, assignee=assignee, actor=user)
            message = f"Assigned to {assignee}."
        elif action.startswith("transition:") and action.split(":", 1)[1] in BULK_TRANSITIONS:
            name = action.split(":", 1)[1]
            case = case_services.case_transition(case=case, name=name, actor=user, reason="Bulk action")
            message = f"Now {case.get_state_display().lower()}."
        else:
            return {"ref": case.reference, "ok": False, "message": "Unknown action."}
    except DomainError as exc:
        return {"ref": case.reference, "ok": False, "message": exc.message}
    return {"ref": case.reference, "ok": True, "message": message}


@staff_required
@require_POST
def assign_me(request, reference: str):
    """Take the case (the `a` shortcut and the button on the case page)."""
    case = case_or_404(request.user, reference)
    try:
        case_services.case_assign(case=case, assignee=request.user, actor=request.user)
        messages.success(request, f"{case.reference} is now yours.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(safe_next(request, reverse("desk:case", args=[case.reference])))


@staff_required
@require_POST
def view_save(request):
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the view a name.")
        return redirect(safe_next(request, reverse("desk:home")))
    try:
        view = saved_view_create(owner=request.user, name=form.cleaned_data["name"],
                                 queue=form.cleaned_data["queue"], query=form.cleaned_data["query"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(safe_next(request, reverse("desk:home")))
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(saved_view_url(view))


@staff_required
@require_POST
def view_delete(request, pk: int):
    try:
        view = saved_view_delete(owner=request.user, view_id=pk)
        messages.success(request, f"Removed the view “{view.name}”.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("desk:home")


def saved_view_url(view: SavedView) -> str:
    key = view.queue if view.queue in queues.QUEUE_KEYS else "all"
    url = reverse("desk:queue", args=[key])
    return f"{url}?{view.query}" if view.query else url


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def _sort_links(params, current: str) -> dict:
    """Return, per column, the query string that sorts by it (toggling the direction)."""
    links = {}
    for column, (asc, desc) in {"created": ("created", "-created"), "priority": ("priority", "-priority"),
                                "updated": ("updated", "-updated")}.items():
        target = asc if current == desc else desc
        query = params.copy()
        query["sort"] = target
        links[column] = {"query": query.urlencode(), "active": current in (asc, desc),
                         "descending": current == desc}
    return links


def _assignees(user):
    from tickets.models import STAFF_ROLES

    return User.objects.filter(
        memberships__team__memberships__user=user, role__in=STAFF_ROLES, is_active=True
    ).distinct().order_by("first_name", "username")

