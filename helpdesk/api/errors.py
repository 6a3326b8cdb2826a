"""API error rendering: one JSON shape for every failure, and domain errors mapped to codes.

Every error body has `detail` (a sentence) and `code`; input errors add `fields`, a map
from field name to messages, whether DRF's serializers or a service found them.
"""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.errors import DomainError

STATUS_CODES = {404: "not_found", 403: "permission_denied", 401: "not_authenticated", 405: "method_not_allowed"}


def exception_handler(exc, context):
    """Render domain errors with their own status and body, DRF errors in the same shape."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    elif response.status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        response.data = {"detail": str(exc), "code": "too_large"}
    elif isinstance(response.data, dict) and "detail" in response.data:
        code = getattr(response.data["detail"], "code", None) or STATUS_CODES.get(response.status_code, "error")
        response.data = {"detail": str(response.data["detail"]), "code": code}
    return response
