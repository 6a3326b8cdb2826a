"""Customer self sign-up with e-mail verification."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from helpdesk.errors import InvalidInput
from tickets.models import Role, User

VERIFY_SALT = "helpdesk.accounts.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


def email_verification_token(user: User) -> str:
    """Return a signed, expiring token naming the user and the address being verified."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def customer_register(*, email: str, password: str, full_name: str = "") -> User | None:
    """Create an inactive customer and e-mail them a verification link, on commit.

    The account can sign in only once the link is followed. When the address already
    belongs to an active account, nothing is created and that person is told by e-mail
    instead, so the sign-up page never reveals who has an account. Returns the new user,
    or None when no account was created.
    """
    email = (email or "").strip().lower()
    if not email or len(email) > 150:
        raise InvalidInput("Enter a valid e-mail address.", fields={"email": ["Enter a valid e-mail address."]})
    first, _, last = (full_name or "").strip().partition(" ")
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email__iexact=email).first()
        if existing is not None and existing.is_active:
            transaction.on_commit(lambda: _send("registration/account_exists_email.txt", existing, "Your help desk account"))
            return None
        user = existing or User(username=email, email=email, role=Role.CUSTOMER, is_active=False)
        if existing is None:
            user.first_name, user.last_name = first[:150], last[:150]
            user.set_password(password)
            user.save()
        transaction.on_commit(lambda: _send("registration/verify_email.txt", user, "Confirm your e-mail address"))
        return user


def customer_verify_email(*, token: str) -> User:
    """Activate the account the token names; an expired, forged or stale token is refused."""
    try:
        payload = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        raise InvalidInput("This link is invalid or has expired.", fields={"token": ["Invalid or expired."]}) from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=payload.get("u"), email=payload.get("e")).first()
        if user is None:
            raise InvalidInput("This link is invalid or has expired.", fields={"token": ["Invalid or expired."]})
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        return user


def _send(template: str, user: User, subject: str) -> None:
    link = settings.SITE_URL.rstrip("/") + reverse("accounts-verify", args=[email_verification_token(user)])
    body = render_to_string(template, {
        "user": user, "verify_url": link,
        "login_url": settings.SITE_URL.rstrip("/") + reverse("login"),
        "reset_url": settings.SITE_URL.rstrip("/") + reverse("password_reset"),
    })
    send_mail(subject, body, None, [user.email])
