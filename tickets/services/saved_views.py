"""Saving and removing an agent's personal queue views."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction

from helpdesk.errors import InvalidInput, NotFound
from tickets.models import SavedView, User

# Only these parameters make up a view; anything else in the query string is dropped.
VIEW_PARAMS = {
    "state", "priority", "category", "product", "organization", "assignee", "tags", "created_after",
    "created_before", "q", "sort", "channel", "team",
}
MAX_VIEWS = 30


def saved_view_create(*, owner: User, name: str, queue: str, query: str) -> SavedView:
    """Save (or replace, by name) a personal view of `queue` with the filters in `query`.

    Page and cursor parameters are dropped so the view always opens on its first page.
    """
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("Give the view a name of up to 80 characters.", fields={"name": ["Required, at most 80 characters."]})
    kept = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k in VIEW_PARAMS]
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(owner=owner, name=name).first()
        if existing is None and SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS:
            raise InvalidInput(f"You can keep at most {MAX_VIEWS} views.", fields={"name": ["Too many views."]})
        view = existing or SavedView(owner=owner, name=name)
        view.queue = queue[:30]
        view.query = urlencode(kept)[:1000]
        view.save()
        return view


def saved_view_delete(*, owner: User, view_id: int) -> SavedView:
    """Remove one of the owner's views; another person's view is NotFound."""
    with transaction.atomic():
        view = SavedView.objects.select_for_update().filter(owner=owner, pk=view_id).first()
        if view is None:
            raise NotFound("No such view.")
        view.delete()
        return view
