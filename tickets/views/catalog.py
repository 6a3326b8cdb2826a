"""The self-service request catalog on the portal: pick a form, answer it, get a reference."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from helpdesk.errors import DomainError
from tickets.forms import MultipleFileField
from tickets.views.base import customer_required
from workflows.models import RequestForm
from workflows.services.forms import request_form_submit


@customer_required
def catalog(request):
    forms = RequestForm.objects.filter(is_active=True).select_related("team")
    return render(request, "portal/catalog.html", {"request_forms": forms})


@customer_required
def request_form(request, slug: str):
    """Show the form; on POST hand the answers to the service, which validates them."""
    form = RequestForm.objects.filter(slug=slug, is_active=True).prefetch_related("fields").first()
    if form is None:
        raise Http404("No such request form.")
    answers = {f.name: request.POST.get(f.name, "") for f in form.fields.all()} if request.method == "POST" else {}
    errors: dict = {}
    general = ""
    if request.method == "POST":
        try:
            files = MultipleFileField().clean(request.FILES.getlist("attachments"))
            case = request_form_submit(form=form, requester=request.user, answers=answers, attachments=files)
        except ValidationError as exc:
            errors, general = {"attachments": exc.messages}, "Some answers need attention."
        except DomainError as exc:
            errors = exc.extra.get("fields") or {}
            general = exc.message
        else:
            return redirect("portal:received", reference=case.reference)
    fields = [{"field": f, "value": answers.get(f.name, ""), "errors": errors.get(f.name, [])} for f in form.fields.all()]
    return render(request, "portal/request_form.html", {
        "request_form": form, "fields": fields, "general_error": general if errors or general else "",
        "attachment_errors": errors.get("attachments", []),
    }, status=400 if request.method == "POST" else 200)
