"""Sign-up for customers with e-mail verification; sign-in and password reset are Django's."""

from __future__ import annotations

from django.shortcuts import redirect, render

from helpdesk.errors import DomainError
from tickets.forms import SignUpForm
from tickets.services.accounts import customer_register, customer_verify_email
from tickets.views.base import errors_to_form


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_register(email=form.cleaned_data["email"], password=form.cleaned_data["password1"],
                              full_name=form.cleaned_data["full_name"])
        except DomainError as exc:
            errors_to_form(form, exc)
        else:
            request.session["signup_email"] = form.cleaned_data["email"]
            return redirect("accounts-signup-sent")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


def signup_sent(request):
    return render(request, "registration/signup_sent.html", {"email": request.session.get("signup_email", "")})


def verify(request, token: str):
    try:
        user = customer_verify_email(token=token)
    except DomainError:
        return render(request, "registration/verify_failed.html", status=400)
    return render(request, "registration/verified.html", {"verified_user": user})
