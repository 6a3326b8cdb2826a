"""Product feedback pages: the items with their decisions, and the monthly report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from feedback import selectors, services
from helpdesk import clock
from helpdesk.errors import DomainError, NotFound


@login_required
def feedback_list_page(request):
    try:
        items = selectors.feedback_items(request.user)
        if request.method == "POST":
            item = selectors.feedback_item_get(request.user, int(request.POST.get("item") or 0))
            try:
                services.feedback_status_set(item=item, status=request.POST.get("status", ""), actor=request.user,
                                             note=request.POST.get("note", ""))
                messages.success(request, f"“{item.title}” is {request.POST.get('status')}; the customers who asked were told.")
            except NotFound:
                raise
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("feedback-list")
    except NotFound:
        raise Http404("No such page.") from None
    status = request.GET.get("status")
    if status:
        items = items.filter(status=status)
    return render(request, "feedback/list.html", {"items": items.order_by("-id")[:200]})


@login_required
def feedback_report_page(request):
    month = request.GET.get("month") or clock.now().strftime("%Y-%m")
    try:
        selectors.month_bounds(month)
    except ValueError:
        month = clock.now().strftime("%Y-%m")
    try:
        report = selectors.monthly_report(request.user, month=month)
    except NotFound:
        raise Http404("No such page.") from None
    return render(request, "feedback/report.html", {"report": report})


urlpatterns = [
    path("feedback/", feedback_list_page, name="feedback-list"),
    path("feedback/report/", feedback_report_page, name="feedback-report-page"),
]
