"""Workflows API: configuration (teams, rules, paths, webhooks) for managers, read by staff.

Views validate with an input serializer, call one service, render with an output serializer.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from helpdesk.errors import NotFound
from workflows.api import serializers as s
from workflows.models import AutomationRule, EscalationPath, Membership, RoutingRule, Skill, WebhookEndpoint
from workflows.selectors.routing import absences_visible_to, teams_visible_to
from workflows.services import absences as absence_services
from workflows.services import rules as rule_services
from workflows.services import teams as team_services
from workflows.services.escalation import escalation_path_set

ERRORS = {400: OpenApiResponse(description="Invalid input; `fields` maps each field to its errors."),
          403: OpenApiResponse(description="Only managers may change configuration."),
          404: OpenApiResponse(description="No such object.")}


class StaffReadManagerWrite(permissions.BasePermission):
    """Staff read configuration; managers and admins change it."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_staff_member):
            return False
        return request.method in permissions.SAFE_METHODS or user.is_manager_role


def valid(serializer_class, data, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and detail for staff; create, update and delete for managers through services."""

    permission_classes = [StaffReadManagerWrite]
    pagination_class = None
    input_serializer_class = None

    def create(self, request):
        obj = self.save(None, valid(self.input_serializer_class, request.data))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        obj = self.save(self.get_object(), valid(self.input_serializer_class, request.data, partial=True))
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, pk=None):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def save(self, obj, data):
        raise NotImplementedError

    def remove(self, obj):
        raise NotImplementedError


@extend_schema_view(create=extend_schema(request=s.TeamInputSerializer, responses={201: s.TeamSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.TeamInputSerializer, responses={200: s.TeamSerializer, **ERRORS}))
class TeamViewSet(ConfigViewSet):
    """Teams (support tiers and departments) with members, strategy, capacity and time zone."""

    serializer_class = s.TeamSerializer
    input_serializer_class = s.TeamInputSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return teams_visible_to(self.request.user)

    def save(self, obj, data):
        return team_services.team_save(team=obj, **data)


@extend_schema_view(create=extend_schema(request=s.MembershipInputSerializer, responses={201: s.MembershipSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.MembershipInputSerializer, responses={200: s.MembershipSerializer, **ERRORS}))
class MembershipViewSet(ConfigViewSet):
    """Who is in which team, with role, capacity and skills."""

    serializer_class = s.MembershipSerializer
    input_serializer_class = s.MembershipInputSerializer
    filterset_fields = ["team", "user"]
    queryset = Membership.objects.select_related("user").prefetch_related("skills")

    def save(self, obj, data):
        team = data.pop("team", None) or obj.team
        user = data.pop("user", None) or obj.user
        return team_services.membership_save(team=team, user=user, **data)

    def remove(self, obj):
        team_services.membership_delete(membership=obj)


@extend_schema_view(create=extend_schema(request=s.SkillInputSerializer, responses={201: s.SkillSerializer, **ERRORS}))
class SkillViewSet(ConfigViewSet):
    serializer_class = s.SkillSerializer
    input_serializer_class = s.SkillInputSerializer
    http_method_names = ["get", "post", "head", "options"]
    queryset = Skill.objects.all()

    def save(self, obj, data):
        return team_services.skill_save(**data)


@extend_schema_view(create=extend_schema(request=s.AbsenceInputSerializer, responses={201: s.AbsenceSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.AbsenceInputSerializer, responses={200: s.AbsenceSerializer, **ERRORS}))
class AbsenceViewSet(ConfigViewSet):
    """Time away. Anyone on staff records their own; managers record anyone's."""

    serializer_class = s.AbsenceSerializer
    input_serializer_class = s.AbsenceInputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["user"]

    def get_queryset(self):
        return absences_visible_to(self.request.user)

    def create(self, request):
        if not request.user.is_staff_member:
            raise NotFound("Not found.")
        data = valid(s.AbsenceInputSerializer, request.data)
        user = data.pop("user", None) or request.user
        absence = absence_services.absence_create(user=user, actor=request.user, **data)
        return Response(self.get_serializer(absence).data, status=status.HTTP_201_CREATED)

    def save(self, obj, data):
        data.pop("user", None)
        return absence_services.absence_update(absence=obj, actor=self.request.user, **data)

    def remove(self, obj):
        absence_services.absence_delete(absence=obj, actor=self.request.user)


@extend_schema_view(create=extend_schema(request=s.RoutingRuleInputSerializer, responses={201: s.RoutingRuleSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.RoutingRuleInputSerializer, responses={200: s.RoutingRuleSerializer, **ERRORS}))
class RoutingRuleViewSet(ConfigViewSet):
    """Ordered routing rules; first match wins; the default rule cannot be removed or switched off."""

    serializer_class = s.RoutingRuleSerializer
    input_serializer_class = s.RoutingRuleInputSerializer
    queryset = RoutingRule.objects.order_by("is_default", "position", "id")

    def save(self, obj, data):
        return rule_services.routing_rule_save(rule=obj, **data)

    def remove(self, obj):
        rule_services.routing_rule_delete(rule=obj)


@extend_schema_view(create=extend_schema(request=s.AutomationRuleInputSerializer, responses={201: s.AutomationRuleSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.AutomationRuleInputSerializer, responses={200: s.AutomationRuleSerializer, **ERRORS}))
class AutomationRuleViewSet(ConfigViewSet):
    """Automation rules: trigger + conditions -> actions, run after commit by a worker."""

    serializer_class = s.AutomationRuleSerializer
    input_serializer_class = s.AutomationRuleInputSerializer
    queryset = AutomationRule.objects.all()

    def save(self, obj, data):
        return rule_services.automation_rule_save(rule=obj, **data)

    def remove(self, obj):
        rule_services.automation_rule_delete(rule=obj)


@extend_schema_view(create=extend_schema(request=s.EscalationPathInputSerializer, responses={201: s.EscalationPathSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.EscalationPathInputSerializer, responses={200: s.EscalationPathSerializer, **ERRORS}))
class EscalationPathViewSet(ConfigViewSet):
    """Each team's way up: tiers by level, and the manager above the last one."""

    serializer_class = s.EscalationPathSerializer
    input_serializer_class = s.EscalationPathInputSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = EscalationPath.objects.prefetch_related("tiers__team")

    def save(self, obj, data):
        team = data.get("team") or obj.team
        tiers = data["tiers"] if "tiers" in data else [t.team for t in obj.tiers.all()]
        manager = data["manager"] if "manager" in data else (obj.manager if obj else None)
        return escalation_path_set(team=team, tiers=tiers, manager=manager)


@extend_schema_view(create=extend_schema(request=s.WebhookEndpointInputSerializer, responses={201: s.WebhookEndpointSerializer, **ERRORS}),
                    partial_update=extend_schema(request=s.WebhookEndpointInputSerializer, responses={200: s.WebhookEndpointSerializer, **ERRORS}))
class WebhookEndpointViewSet(ConfigViewSet):
    """Outgoing webhook endpoints (managers only; the secret is never shown) and their deliveries."""

    serializer_class = s.WebhookEndpointSerializer
    input_serializer_class = s.WebhookEndpointInputSerializer
    queryset = WebhookEndpoint.objects.all()

    def get_queryset(self):
        return self.queryset if self.request.user.is_manager_role else WebhookEndpoint.objects.none()

    def save(self, obj, data):
        from workflows.services.webhooks import webhook_endpoint_save

        return webhook_endpoint_save(endpoint=obj, **data)

    def remove(self, obj):
        from workflows.services.webhooks import webhook_endpoint_delete

        webhook_endpoint_delete(endpoint=obj)

    @extend_schema(summary="The latest deliveries to this endpoint, with every attempt",
                   responses={200: s.WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        return Response(s.WebhookDeliverySerializer(endpoint.deliveries.all()[:100], many=True).data)
