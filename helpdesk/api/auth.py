"""`POST /api/v1/auth/token/`: a username and password exchanged for an API token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle


class TokenView(ObtainAuthToken):
    """Give the caller their token (made on first use); guessing passwords here is throttled."""

    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        summary="Exchange a username and password for an API token",
        description="Send the token as `Authorization: Token <token>` on every request.",
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password; `fields` says which input was refused."),
            429: OpenApiResponse(description="Too many attempts; try again later."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
