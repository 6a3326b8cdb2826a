"""Input and output shapes of the SLA API."""

from __future__ import annotations

from rest_framework import serializers

from tickets.models import Priority


class ClockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField()
    label = serializers.CharField()
    state = serializers.CharField()
    policy = serializers.CharField(allow_null=True)
    priority = serializers.CharField()
    calendar = serializers.CharField()
    target_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    paused_at = serializers.DateTimeField(allow_null=True)
    paused_seconds = serializers.IntegerField()
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField(allow_null=True, help_text="Business seconds left; negative when overdue.")
    used_percent = serializers.FloatField(allow_null=True)
    warnings_fired = serializers.ListField(child=serializers.FloatField())
    next_check_at = serializers.DateTimeField(allow_null=True)
    cycle = serializers.IntegerField()


class AtRiskSerializer(ClockSerializer):
    case = serializers.CharField()
    subject = serializers.CharField()
    case_priority = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)


class ComplianceRowSerializer(serializers.Serializer):
    team = serializers.IntegerField(required=False, allow_null=True)
    team_name = serializers.CharField(required=False, allow_null=True)
    policy = serializers.IntegerField(required=False, allow_null=True)
    policy_name = serializers.CharField(required=False, allow_null=True)
    priority = serializers.CharField(required=False, allow_null=True)
    target = serializers.CharField(required=False, allow_null=True)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text="met / (met + breached); null when none.")

    def to_representation(self, instance):
        # Only the grouping keys asked for appear in a row.
        return {k: v for k, v in super().to_representation(instance).items() if k in instance}


class BreachSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    case = serializers.CharField()
    subject = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    target = serializers.CharField(allow_null=True)
    priority = serializers.CharField(allow_null=True)
    late = serializers.BooleanField()
    occurred_at = serializers.DateTimeField()
    due_at = serializers.CharField(allow_null=True)


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    minutes = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    policy = serializers.CharField()
    policy_id = serializers.IntegerField()
    chain = serializers.CharField(allow_null=True)
    teams = serializers.ListField(child=serializers.CharField())
    gaps = GapSerializer(many=True)
    uncovered_hours = serializers.ListField(child=serializers.DateTimeField())
    warnings = serializers.ListField(child=serializers.CharField())


class ShiftStatusSerializer(serializers.Serializer):
    team = serializers.CharField()
    team_id = serializers.IntegerField()
    time_zone = serializers.CharField()
    on_duty = serializers.BooleanField()
    on_shift = serializers.ListField(child=serializers.CharField())
    next_handover = serializers.DateTimeField(allow_null=True)


GROUP_CHOICES = ["team", "policy", "priority", "target"]


class ComplianceQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    team = serializers.IntegerField(required=False)
    group_by = serializers.MultipleChoiceField(choices=GROUP_CHOICES, required=False)

    def validate(self, attrs):
        if attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


class TeamQuerySerializer(serializers.Serializer):
    team = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)
    since = serializers.DateTimeField(required=False)
    after_id = serializers.IntegerField(required=False, min_value=0)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
