"""Workflows API serializers: input serializers validate, output serializers render."""

from __future__ import annotations

from rest_framework import serializers

from tickets.models import Category, Channel, Organization, Priority, Product, User
from workflows.models import (
    Absence,
    AutomationRule,
    EscalationPath,
    Membership,
    Notification,
    NotificationKind,
    RoutingRule,
    Skill,
    Strategy,
    Team,
    TeamKind,
    Trigger,
    WebhookDelivery,
    WebhookEndpoint,
)

# --- output ----------------------------------------------------------------------------


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "kind", "code", "name"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    skills = SkillSerializer(many=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "username", "role", "capacity", "skills", "joined_at"]


class TeamSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "kind", "tier", "time_zone", "lead", "email", "is_active",
                  "assignment_strategy", "assign_on_arrival", "default_capacity", "memberships"]


class AbsenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Absence
        fields = ["id", "user", "starts_at", "ends_at", "delegate", "reason", "created_by", "created_at", "detoured_at"]


class RoutingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoutingRule
        fields = ["id", "name", "description", "position", "is_active", "is_default", "conditions", "actions",
                  "revision", "updated_at"]


class AutomationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AutomationRule
        fields = ["id", "name", "description", "trigger", "position", "is_active", "conditions", "actions",
                  "revision", "updated_at"]


class EscalationPathSerializer(serializers.ModelSerializer):
    tiers = serializers.SerializerMethodField()

    class Meta:
        model = EscalationPath
        fields = ["id", "team", "manager", "tiers"]

    def get_tiers(self, obj) -> list[dict]:
        return [{"level": t.level, "team": t.team_id, "team_name": str(t.team)} for t in obj.tiers.all()]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "event_types", "payload_format", "is_active", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_type", "status", "attempts", "attempts_log", "response_status",
                  "created_at", "delivered_at"]


class NotificationSerializer(serializers.ModelSerializer):
    case_reference = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "case_reference", "data", "created_at", "read_at"]

    def get_case_reference(self, obj) -> str | None:
        return obj.case.reference if obj.case_id else None


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()


# --- input -----------------------------------------------------------------------------


class TeamInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.SlugField(max_length=60, required=False)
    kind = serializers.ChoiceField(choices=TeamKind.choices, required=False)
    tier = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    lead = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    assignment_strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    assign_on_arrival = serializers.BooleanField(required=False)
    default_capacity = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class MembershipInputSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=Membership._meta.get_field("role").choices, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    skills = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all(), many=True, required=False)


class SkillInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Skill._meta.get_field("kind").choices)
    code = serializers.SlugField(max_length=80)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AbsenceInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    delegate = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RoutingRuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 2)
    is_active = serializers.BooleanField(required=False)
    conditions = serializers.JSONField(required=False)
    actions = serializers.JSONField(required=False)


class AutomationRuleInputSerializer(RoutingRuleInputSerializer):
    trigger = serializers.ChoiceField(choices=Trigger.choices, required=False)


class EscalationPathInputSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    tiers = serializers.PrimaryKeyRelatedField(queryset=Team.objects.filter(is_active=True), many=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)


class WebhookEndpointInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    url = serializers.URLField(max_length=500, required=False)
    secret = serializers.CharField(max_length=200, required=False, write_only=True)
    event_types = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=50)
    payload_format = serializers.ChoiceField(choices=WebhookEndpoint._meta.get_field("payload_format").choices, required=False)
    is_active = serializers.BooleanField(required=False)


class MarkReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500,
                                help_text="Notifications to mark read; omit to mark every unread one.")


class PreferenceInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()


class DryRunInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=100_000, required=False, allow_blank=True, default="")
    requester = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)
    product = serializers.SlugRelatedField(slug_field="slug", queryset=Product.objects.all(), required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.P3)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.WEB)
    custom_fields = serializers.DictField(required=False, default=dict)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.filter(is_active=True), required=False,
                                        allow_null=True, help_text="A team the draft is raised for directly.")


class DryRunOutputSerializer(serializers.Serializer):
    rule = serializers.CharField(allow_null=True)
    rule_id = serializers.IntegerField(allow_null=True)
    conditions = serializers.ListField(child=serializers.DictField())
    skipped_rules = serializers.ListField(child=serializers.DictField())
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()
    priority = serializers.CharField(allow_null=True)
    add_tags = serializers.ListField(child=serializers.CharField())
    kept_team = serializers.BooleanField()
    note = serializers.CharField()
    assignment = serializers.DictField(allow_null=True)


class RoutingExplanationSerializer(serializers.Serializer):
    case = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    escalation_level = serializers.IntegerField()
    decision = serializers.DictField(allow_null=True)
    history = serializers.ListField(child=serializers.DictField())
