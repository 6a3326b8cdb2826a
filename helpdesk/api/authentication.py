"""How API callers prove who they are: `Authorization: Token <token>` (and the session).

Kept apart from the views: DRF imports authentication classes while it loads its own
views module.

A token this process verified is trusted again for `API_TOKEN_CACHE_SECONDS` (2 by
default; 0 asks the database on every request): an integration posting many requests
pays one lookup every two seconds instead of one per request. What is kept is the row
the database returned (token, user, organization); every request gets instances built
anew from it, so nothing one request does to its user reaches another. This process's
own saves and deletes of a token, a user or an organization drop the rows they concern
at once (signals, for cache upkeep only), so a token deleted or a user deactivated here
is refused by the next request; another process's change is seen within the window.
"""

from __future__ import annotations

import datetime
import decimal
import threading
import time
import uuid
from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from helpdesk.prepared import PreparedSelect

# At most this many verified tokens are kept per process (the oldest go first).
MAX_TOKENS = 10_000

# Values a kept row may hold: a row with anything else (a JSON document, say) could be
# changed in place through one request's instance, so it is not kept.
_IMMUTABLE = (str, int, float, bool, type(None), bytes, datetime.datetime, datetime.date, datetime.time,
              datetime.timedelta, decimal.Decimal, uuid.UUID)

_now = time.monotonic


@cache
def _token_select(model) -> PreparedSelect:
    return PreparedSelect(model, related=("user", "user__organization"), where='b."key" = %s')


class VerifiedTokens:
    """The rows of tokens this process verified lately: key -> (row, user id, organization id, when)."""

    def __init__(self, max_tokens: int = MAX_TOKENS):
        self.max_tokens = max_tokens
        self._rows: dict[str, tuple[list, int, int | None, float]] = {}
        self._lock = threading.Lock()
        # Bumped by every drop: a row read before a drop may predate the change, and is
        # used for its own request but not kept.
        self.generation = 0

    def get(self, key: str, seconds: float):
        """Return the kept row of `key` when it is younger than `seconds`, else None."""
        entry = self._rows.get(key)
        if entry is None:
            return None
        if _now() - entry[3] >= seconds:
            with self._lock:
                if self._rows.get(key) is entry:
                    del self._rows[key]
            return None
        return entry[0]

    def keep(self, key: str, row, *, user_id: int, organization_id: int | None, generation: int) -> None:
        if not all(isinstance(value, _IMMUTABLE) for value in row):
            return
        with self._lock:
            if generation != self.generation:
                return
            self._rows.pop(key, None)
            while len(self._rows) >= self.max_tokens:
                del self._rows[next(iter(self._rows))]
            self._rows[key] = (row, user_id, organization_id, _now())

    def drop(self, *, key: str | None = None, user_id: int | None = None, organization_id: int | None = None) -> None:
        """Forget the token `key`, every token of `user_id`, every token of `organization_id`'s people."""
        with self._lock:
            self.generation += 1
            for kept, (_row, user, organization, _when) in list(self._rows.items()):
                if kept == key or (user_id is not None and user == user_id) or (
                        organization_id is not None and organization == organization_id):
                    del self._rows[kept]

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


verified = VerifiedTokens()


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user's organization in the same statement.

    Most requests need it next (a customer's new case belongs to it, its tier picks the
    SLA policy, routing rules read it), and a join costs less than a second query. The
    statement is built once, and the row kept for a moment (see the module's docstring).
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        select = _token_select(model)
        seconds = settings.API_TOKEN_CACHE_SECONDS
        row = verified.get(key, seconds) if seconds > 0 else None
        if row is None:
            generation = verified.generation
            rows = select.fetch_rows([key])
            if not rows:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            row = rows[0]
            token = select.build([row])[0]
            if token.user.is_active and seconds > 0:
                verified.keep(key, row, user_id=token.user_id, organization_id=token.user.organization_id,
                              generation=generation)
        else:
            token = select.build([row])[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


def _forget(key: str | None = None, user_id: int | None = None, organization_id: int | None = None) -> None:
    """Drop the rows a change concerns now, and again once its transaction commits.

    The second drop covers a row read by another request between the change and its
    commit, which cannot have seen the change.
    """
    from django.db import transaction

    verified.drop(key=key, user_id=user_id, organization_id=organization_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: verified.drop(key=key, user_id=user_id, organization_id=organization_id))


def _token_changed(sender, instance, **kwargs) -> None:
    # By key: the admin's proxy of the token model answers the user's id as its `pk`.
    _forget(key=instance.key)


def _user_changed(sender, instance, **kwargs) -> None:
    _forget(user_id=instance.pk)


def _organization_changed(sender, instance, **kwargs) -> None:
    _forget(organization_id=instance.pk)


def watch() -> None:
    """Connect the kept tokens to this process's saves and deletes (called from `TicketsConfig.ready`)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from rest_framework.authtoken.models import Token, TokenProxy

    from tickets.models import Organization

    # Signals name the instance's own class: the admin saves tokens as `TokenProxy`.
    for model, receiver in ((Token, _token_changed), (TokenProxy, _token_changed),
                            (get_user_model(), _user_changed), (Organization, _organization_changed)):
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(receiver, sender=model, weak=False,
                           dispatch_uid=f"verified-tokens-{model._meta.label_lower}-{name}")
