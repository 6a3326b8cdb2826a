"""What every page view shares: role gates, 404 for invisible cases, service errors on forms."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from helpdesk.errors import DomainError, NotFound
from tickets import selectors
from tickets.models import Case


def staff_required(view):
    """Let staff in; send a signed-in customer to the portal instead."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_member:
            return redirect("portal:home")
        return view(request, *args, **kwargs)

    return wrapped


def customer_required(view):
    """Let customers in; send staff to the agent workspace instead."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if request.user.is_staff_member:
            return redirect("desk:home")
        return view(request, *args, **kwargs)

    return wrapped


def case_or_404(user, reference: str) -> Case:
    """Return the case the user may see, or raise Http404 (never 403: references stay private)."""
    try:
        return selectors.case_get(user, reference)
    except NotFound:
        raise Http404("No such case.") from None


def errors_to_form(form, exc: DomainError) -> None:
    """Put a service's field errors on the form fields they name, the rest on the form."""
    fields = exc.extra.get("fields") or {}
    placed = False
    for name, messages in fields.items():
        target = name if name in form.fields else None
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request, fallback: str) -> str:
    """Return the `next` parameter when it points inside this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return fallback


def visible_attachments(user, case: Case) -> list:
    """Return the case's attachments the user may download (those of comments they may read)."""
    visible = set(selectors.comments_visible_to(user, case).values_list("pk", flat=True))
    return [a for a in case.attachments.select_related("uploaded_by").order_by("id")
            if a.comment_id is None or a.comment_id in visible]
