"""The personal and case-facing parts of the workflows API: notifications, preferences,
the routing explanation of a case and the routing dry run."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import selectors as case_selectors
from tickets.models import is_case_staff
from helpdesk.errors import NotFound
from workflows.api import serializers as s
from workflows.api.views import valid
from workflows.models import Notification, NotificationKind, NotificationPreference
from workflows.selectors.routing import case_routing_explanation, notifications_for, routing_dry_run
from workflows.services.notifications import notification_mark_read, notification_preference_set


class NotificationViewSet(viewsets.GenericViewSet):
    """Your in-app notifications: the list (unread only with `?unread=1`) and marking them read."""

    serializer_class = s.NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("1", "true", "yes")
        return notifications_for(self.request.user, unread_only=unread)

    @extend_schema(summary="Your notifications, newest first",
                   parameters=[OpenApiParameter("unread", bool, description="Only unread ones")])
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Mark notifications read (all unread ones when `ids` is omitted)",
                   request=s.MarkReadInputSerializer,
                   responses={200: OpenApiResponse(description='{"marked": <count>, "unread": <count left>}')})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        data = valid(s.MarkReadInputSerializer, request.data)
        marked = notification_mark_read(user=request.user, ids=data.get("ids"))
        return Response({"marked": marked, "unread": notifications_for(request.user, unread_only=True).count()})


class PreferenceView(APIView):
    """Which notifications you get, per kind, in the app and by e-mail."""

    permission_classes = [permissions.IsAuthenticated]

    def _all(self, user) -> list[dict]:
        saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
        return [{"kind": kind, "label": label, "in_app": saved[kind].in_app if kind in saved else True,
                 "email": saved[kind].email if kind in saved else True} for kind, label in NotificationKind.choices]

    @extend_schema(summary="Your notification preferences", responses={200: s.PreferenceSerializer(many=True)})
    def get(self, request):
        return Response(s.PreferenceSerializer(self._all(request.user), many=True).data)

    @extend_schema(summary="Set one kind's preference", request=s.PreferenceInputSerializer,
                   responses={200: s.PreferenceSerializer(many=True), 400: OpenApiResponse(description="Invalid input")})
    def put(self, request):
        data = valid(s.PreferenceInputSerializer, request.data)
        notification_preference_set(user=request.user, **data)
        return Response(s.PreferenceSerializer(self._all(request.user), many=True).data)


class CaseRoutingView(APIView):
    """Why a case is where it is: the rule, the conditions that held, why this person."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="The routing explanation of a case", responses={
        200: s.RoutingExplanationSerializer, 404: OpenApiResponse(description="No such case, or one you may not see.")})
    def get(self, request, reference):
        case = case_selectors.case_get(request.user, reference)
        if not is_case_staff(request.user, case):
            raise NotFound("No such case.")  # customers never see routing internals
        return Response(s.RoutingExplanationSerializer(case_routing_explanation(case)).data)


class RoutingDryRunView(APIView):
    """Where would this case go, and why? Nothing is created or changed."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Route a draft case without creating it", request=s.DryRunInputSerializer,
                   responses={200: s.DryRunOutputSerializer, 400: OpenApiResponse(description="Invalid input"),
                              403: OpenApiResponse(description="Staff only")})
    def post(self, request):
        if not request.user.is_staff_member:
            self.permission_denied(request, message="Only staff can try routing.")
        data = valid(s.DryRunInputSerializer, request.data)
        return Response(s.DryRunOutputSerializer(routing_dry_run(**data)).data)
