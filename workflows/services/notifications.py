"""Telling people: in-app notifications and e-mail, sent only after the change commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from workflows.models import Notification

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
    """Create one in-app notification per distinct active recipient; e-mail them on commit.

    Returns the notifications created. The e-mail subject carries the case reference.
    """
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    if case is not None and not url:
        url = f"/desk/cases/{case.reference}/"
    notes = Notification.objects.bulk_create(
        [Notification(user=u, kind=kind, title=title[:200], body=body, url=url, case=case, data=data or {})
         for u in people.values()]
    )
    if email:
        subject = f"[{case.reference}] {title}" if case is not None else title
        addresses = [u.email for u in people.values() if u.email]
        if addresses:
            link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else ""
            text = f"{body}\n\n{link}".strip()
            transaction.on_commit(lambda: _send(subject[:200], text, addresses))
    return notes


def notification_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None); return how many."""
    from helpdesk import clock

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=clock.now())


def _send(subject: str, text: str, addresses: list[str]) -> None:
    for address in addresses:
        try:
            send_mail(subject, text, None, [address])
        except Exception:  # a mail server that refuses must not break the change that notified
            log.exception("could not e-mail %s about %r", address, subject)
