"""How API callers prove who they are: `Authorization: Token <token>` (and the session).

Kept apart from the views: DRF imports authentication classes while it loads its own
views module.
"""

from functools import cache

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from helpdesk.prepared import PreparedSelect


@cache
def _token_select(model) -> PreparedSelect:
    return PreparedSelect(model, related=("user", "user__organization"), where='b."key" = %s')


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user's organization in the same statement.

    Most requests need it next (a customer's new case belongs to it, its tier picks the
    SLA policy, routing rules read it), and a join costs less than a second query. The
    statement is built once (it runs for every API request).
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        found = _token_select(model).fetch([key])
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
