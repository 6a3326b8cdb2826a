"""How API callers prove who they are: `Authorization: Token <token>` (and the session).

Kept apart from the views: DRF imports authentication classes while it loads its own
views module.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user's organization in the same statement.

    Most requests need it next (a customer's new case belongs to it, its tier picks the
    SLA policy, routing rules read it), and a join costs less than a second query.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__organization").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
