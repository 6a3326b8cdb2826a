"""Customer portal: my cases (and my organization's), submit a case, the public timeline,
reply, close when satisfied, reopen within the window.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.errors import DomainError
from tickets import selectors
from tickets.forms import CaseSubmitForm, ReplyForm
from tickets.models import OPEN_STATES, Channel, State
from tickets.services import cases as case_services
from tickets.views.base import case_or_404, customer_required, errors_to_form, visible_attachments
from tickets.views.timeline import build_timeline

PAGE_SIZE = 20
# What the customer may ask for on their case, with words they would use.
CUSTOMER_ACTIONS = {
    "close": ("Close — my problem is solved", "primary"),
    "reopen": ("Reopen — it is not solved", "secondary"),
    "cancel": ("Withdraw this request", "quiet"),
}


@customer_required
def home(request):
    """List the customer's cases; organization admins can switch to their organization's."""
    user = request.user
    scope = request.GET.get("scope", "mine")
    show = request.GET.get("show", "open")
    cases = selectors.case_list(user)
    if scope != "org" or not user.is_org_admin:
        scope = "mine"
        cases = cases.filter(requester=user)
    cases = cases.filter(state__in=OPEN_STATES + (State.RESOLVED,)) if show == "open" else cases.exclude(
        state__in=OPEN_STATES + (State.RESOLVED,))
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = max(page, 1)
    rows = list(cases.order_by("-updated_at", "-id")[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    return render(request, "portal/home.html", {
        "rows": rows[:PAGE_SIZE], "has_next": len(rows) > PAGE_SIZE, "page": page,
        "scope": scope, "show": show, "is_org_admin": user.is_org_admin and user.organization_id,
    })


@customer_required
def submit(request):
    form = CaseSubmitForm(request.POST or None, request.FILES or None, requester=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_services.case_create(
                requester=request.user, subject=data["subject"], description=data["description"],
                product=data["product"], category=data["category"], channel=Channel.WEB,
                attachments=data["attachments"],
            )
        except DomainError as exc:
            errors_to_form(form, exc)
        else:
            return redirect("portal:received", reference=case.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/submit.html", {"form": form}, status=status)


@customer_required
def received(request, reference: str):
    case = case_or_404(request.user, reference)
    return render(request, "portal/received.html", {"case": case})


@customer_required
def case_detail(request, reference: str, *, reply_form=None, status=200):
    case = case_or_404(request.user, reference)
    allowed = case_services.transitions_for(case, request.user)
    return render(request, "portal/case_detail.html", {
        "case": case,
        "timeline": build_timeline(request.user, case, audience="customer"),
        "actions": [(n, *CUSTOMER_ACTIONS[n]) for n in CUSTOMER_ACTIONS if n in allowed],
        "reply_form": reply_form or ReplyForm(),
        "can_reply": case.state not in (State.CLOSED, State.CANCELLED, State.MERGED),
        "form_answers": (case.custom_fields or {}).get("form"),
        "attachments": visible_attachments(request.user, case),
    }, status=status)


@customer_required
@require_POST
def reply(request, reference: str):
    case = case_or_404(request.user, reference)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case_services.comment_add(case=case, author=request.user, body=form.cleaned_data["body"], public=True,
                                      attachments=form.cleaned_data["attachments"])
        except DomainError as exc:
            errors_to_form(form, exc)
            return case_detail(request, reference, reply_form=form, status=exc.status_code)
        messages.success(request, "Thanks — your reply was sent.")
        return redirect("portal:case", reference=case.reference)
    return case_detail(request, reference, reply_form=form, status=400)


@customer_required
@require_POST
def act(request, reference: str):
    """Close, reopen or withdraw; only what `transitions_for` allows is ever offered."""
    case = case_or_404(request.user, reference)
    name = request.POST.get("name", "")
    if name not in CUSTOMER_ACTIONS:
        messages.error(request, "That is not something you can do on a case.")
        return redirect("portal:case", reference=case.reference)
    try:
        case = case_services.case_transition(case=case, name=name, actor=request.user,
                                             reason=request.POST.get("reason", "")[:2000])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, {"close": "Thanks for confirming — the case is closed.",
                                   "reopen": "We reopened your case and will get back to you.",
                                   "cancel": "Your request was withdrawn."}[name])
    return redirect("portal:case", reference=case.reference)
