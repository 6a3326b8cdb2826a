"""The agent's case page and the actions on it: reply or note (with canned responses),
transitions, assignment, edits and merge. Each action is a POST that redirects back
(POST-redirect-GET); htmx swaps the page section in place when JavaScript is on.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.errors import DomainError
from tickets import queues, selectors
from tickets.forms import AssignForm, CaseEditForm, CommentForm, TransitionForm
from tickets.models import (
    STAFF_ROLES,
    TRANSITION_LABELS,
    Case,
    Macro,
    User,
    pk_from_reference,
    reference_for,
    team_ids,
)
from tickets.services import cases as case_services
from tickets.services.macros import macro_apply, macros_for
from tickets.views.base import case_or_404, errors_to_form, staff_required, visible_attachments
from tickets.views.timeline import build_timeline

# Buttons that change more than the state get their own forms on the page.
SEPARATE_FORMS = {"merge"}


@staff_required
def case_detail(request, reference: str):
    case = case_or_404(request.user, reference)
    return _render(request, case)


def _render(request, case: Case, *, status: int = 200, **forms):
    user = request.user
    allowed = case_services.transitions_for(case, user)
    custom = {k: v for k, v in (case.custom_fields or {}).items() if not isinstance(v, (dict, list))}
    context = {
        "case": case,
        "timeline": build_timeline(user, case, audience="staff"),
        "transitions": [(n, TRANSITION_LABELS[n]) for n in allowed if n not in SEPARATE_FORMS],
        "can_merge": "merge" in allowed,
        "can_edit": case.is_open or case.state == "resolved",
        "can_assign": case.is_open,
        "comment_form": forms.get("comment_form") or CommentForm(initial={"kind": "reply"}),
        "transition_form": forms.get("transition_form") or TransitionForm(),
        "edit_form": forms.get("edit_form") or CaseEditForm(initial={
            "priority": case.priority, "category": case.category_id, "product": case.product_id,
            "tags": ", ".join(t.name for t in case.tags.all()),
            "custom": "\n".join(f"{k}: {v}" for k, v in custom.items()),
        }),
        "assign_form": forms.get("assign_form") or AssignForm(
            initial={"assignee": case.assignee_id}, candidates=_candidates(case, user)),
        "merge_error": forms.get("merge_error"),
        "macros": list(macros_for(case)),
        "attachments": visible_attachments(user, case),
        "form_answers": (case.custom_fields or {}).get("form"),
        "custom_scalars": custom,
        "other_open": queues.requester_open_cases(user, case),
        "entitlements": list(case.organization.entitled_products.all()) if case.organization_id else [],
        "is_mine": case.assignee_id == user.pk,
        **_neighbours(request, case),
    }
    return render(request, "desk/case_detail.html", context, status=status)


@staff_required
@require_POST
def comment(request, reference: str):
    case = case_or_404(request.user, reference)
    form = CommentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, case, status=400, comment_form=form)
    data = form.cleaned_data
    public = data["kind"] == "reply"
    try:
        if data.get("macro"):
            macro = Macro.objects.filter(pk=data["macro"]).first()
            if macro is None:
                form.add_error(None, "That canned response no longer exists.")
                return _render(request, case, status=400, comment_form=form)
            macro_apply(case=case, macro=macro, actor=request.user, body=data["body"], public=public,
                        attachments=data["attachments"])
        else:
            case_services.comment_add(
                case=case, author=request.user, body=data["body"], public=public, shared=data["shared"],
                author_team=_author_team(request.user, case), attachments=data["attachments"],
            )
    except DomainError as exc:
        errors_to_form(form, exc)
        return _render(request, case, status=exc.status_code, comment_form=form)
    messages.success(request, "Reply sent to the customer." if public else "Internal note added.")
    return redirect("desk:case", reference=case.reference)


@staff_required
@require_POST
def transition(request, reference: str):
    case = case_or_404(request.user, reference)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _render(request, case, status=400, transition_form=form)
    name = form.cleaned_data["name"]
    try:
        case = case_services.case_transition(
            case=case, name=name, actor=request.user, reason=form.cleaned_data["reason"],
            expected_state=request.POST.get("expected_state") or None,
        )
    except DomainError as exc:
        errors_to_form(form, exc)
        return _render(request, case_or_404(request.user, reference), status=exc.status_code, transition_form=form)
    messages.success(request, f"{TRANSITION_LABELS.get(name, name)}: the case is now {case.get_state_display().lower()}.")
    return redirect("desk:case", reference=case.reference)


@staff_required
@require_POST
def assign(request, reference: str):
    case = case_or_404(request.user, reference)
    form = AssignForm(request.POST, candidates=_candidates(case, request.user))
    if not form.is_valid():
        return _render(request, case, status=400, assign_form=form)
    try:
        case_services.case_assign(case=case, assignee=form.cleaned_data["assignee"], actor=request.user)
    except DomainError as exc:
        errors_to_form(form, exc)
        return _render(request, case, status=exc.status_code, assign_form=form)
    who = form.cleaned_data["assignee"]
    messages.success(request, f"Assigned to {who}." if who else "Returned to the team queue.")
    return redirect("desk:case", reference=case.reference)


@staff_required
@require_POST
def edit(request, reference: str):
    case = case_or_404(request.user, reference)
    form = CaseEditForm(request.POST)
    if not form.is_valid():
        return _render(request, case, status=400, edit_form=form)
    data = form.cleaned_data
    structured = {k: v for k, v in (case.custom_fields or {}).items() if isinstance(v, (dict, list))}
    changes = {
        "priority": data["priority"], "category": data["category"], "product": data["product"],
        "tags": data["tags"], "custom_fields": {**structured, **data["custom"]},
    }
    try:
        case_services.case_update(case=case, actor=request.user, changes=changes)
    except DomainError as exc:
        errors_to_form(form, exc)
        return _render(request, case, status=exc.status_code, edit_form=form)
    messages.success(request, "Case details saved.")
    return redirect("desk:case", reference=case.reference)


@staff_required
@require_POST
def merge(request, reference: str):
    case = case_or_404(request.user, reference)
    into_ref = (request.POST.get("into") or "").strip()
    target = None
    if pk_from_reference(into_ref) is not None:
        target = selectors.cases_visible_to(request.user).filter(pk=pk_from_reference(into_ref)).first()
    if target is None:
        return _render(request, case, status=400, merge_error="No case with that reference.")
    try:
        case_services.case_merge(case=case, into=target, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _render(request, case, status=exc.status_code, merge_error=exc.message)
    messages.success(request, f"Merged into {target.reference}.")
    return redirect("desk:case", reference=target.reference)


def _candidates(case: Case, user):
    """Return who the case may go to: its team's members, or the user's teams' without one."""
    if case.team_id:
        cond = Q(memberships__team_id=case.team_id)
    else:
        cond = Q(memberships__team_id__in=list(team_ids(user))) | Q(pk=user.pk)
    return User.objects.filter(cond, role__in=STAFF_ROLES, is_active=True).distinct().order_by("first_name", "username")


def _author_team(user, case: Case):
    if case.team_id and case.team_id in team_ids(user):
        return case.team
    membership = user.memberships.select_related("team").first()
    return membership.team if membership else None


def _neighbours(request, case: Case) -> dict:
    """Return links to the previous and next case of the queue the agent came from."""
    nav = request.session.get("desk_nav") or {}
    ids = nav.get("ids") or []
    if case.pk not in ids:
        return {"queue_url": nav.get("url"), "prev_case": None, "next_case": None}
    i = ids.index(case.pk)
    return {
        "queue_url": nav.get("url"),
        "prev_case": reference_for(ids[i - 1]) if i > 0 else None,
        "next_case": reference_for(ids[i + 1]) if i + 1 < len(ids) else None,
    }
