"""Telling people: in-app notifications and e-mail, sent only after the change commits.

Each person's preferences (per kind: in-app and e-mail, both on unless they said
otherwise) decide what they get. E-mails are rendered from
`templates/workflows/notifications_email.{txt,html}` with the case reference in the subject.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from helpdesk import clock
from helpdesk.errors import InvalidInput
from workflows.models import Notification, NotificationKind, NotificationPreference

log = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    case=None,
    url: str = "",
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each distinct active recipient as their preferences for `kind` allow.

    Returns the in-app notifications created; e-mails go out after commit, one per
    person, and a mail server that refuses never breaks the change that notified.
    """
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(people), kind=kind)}
    in_app = [u for u in people.values() if prefs.get(u.pk) is None or prefs[u.pk].in_app]
    by_mail = [u for u in people.values() if email and u.email and (prefs.get(u.pk) is None or prefs[u.pk].email)]
    if case is not None and not url:
        url = f"/desk/cases/{case.reference}/"
    notes = Notification.objects.bulk_create(
        [Notification(user=u, kind=kind, title=title[:200], body=body, url=url, case=case, data=data or {},
                      created_at=clock.now()) for u in in_app]
    )
    if by_mail:
        subject = (f"[{case.reference}] {title}" if case is not None else title)[:200]
        context = {"title": title, "body": body, "case": case, "kind": kind,
                   "link": f"{settings.SITE_URL.rstrip('/')}{url}" if url else "",
                   "preferences_link": f"{settings.SITE_URL.rstrip('/')}/api/v1/notification-preferences/"}
        text = render_to_string("workflows/notifications_email.txt", context)
        html = render_to_string("workflows/notifications_email.html", context)
        addresses = [u.email for u in by_mail]
        transaction.on_commit(lambda: _send(subject, text, html, addresses))
    return notes


def notification_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None); return how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    with transaction.atomic():
        return qs.update(read_at=clock.now())


def notification_preference_set(*, user, kind: str, in_app: bool, email: bool) -> NotificationPreference:
    """Record whether `user` wants notifications of `kind` in the app and by e-mail."""
    if kind not in NotificationKind.values:
        raise InvalidInput("Unknown notification kind.", fields={"kind": [f"Choose one of {', '.join(NotificationKind.values)}."]})
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)})
        return pref


def _send(subject: str, text: str, html: str, addresses: list[str]) -> None:
    for address in addresses:
        try:
            message = EmailMultiAlternatives(subject, text, None, [address])
            message.attach_alternative(html, "text/html")
            message.send()
        except Exception:  # a mail server that refuses must not break the change that notified
            log.exception("could not e-mail %s about %r", address, subject)
