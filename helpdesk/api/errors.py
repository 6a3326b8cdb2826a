"""API error rendering: one JSON shape for every failure, and domain errors mapped to codes."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.errors import DomainError


def exception_handler(exc, context):
    """Render DRF errors as usual and domain errors with their own status and body."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        response.data = {"detail": str(exc), "code": "too_large"}
    return response
