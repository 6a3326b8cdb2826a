"""Task and route API serializers: input serializers validate, output serializers render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.api.serializers import UserBriefSerializer
from tickets.models import User
from workflows.models import RouteTemplate, Task, TaskComment, Team
from workflows.models.tasks import TASK_TRANSITION_LABELS


class RouteStageSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["done", "current", "ahead"])
    department = serializers.DictField()
    holder = serializers.DictField(allow_null=True)
    entered_at = serializers.DateTimeField(allow_null=True)
    exited_at = serializers.DateTimeField(allow_null=True)
    seconds = serializers.IntegerField(allow_null=True, help_text="Entry to exit (to now for the current stage).")
    since_created = serializers.IntegerField(allow_null=True, help_text="Task creation to this stage's entry.")


class TaskSerializer(serializers.ModelSerializer):
    """A task as a queue row."""

    reference = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    case = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    assignee = UserBriefSerializer(read_only=True)
    route_template = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "reference", "title", "state", "state_label", "case", "department", "assignee",
                  "route_template", "blocking", "due_at", "overdue", "created_at", "updated_at", "version"]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField())
    def get_case(self, obj):
        return {"reference": obj.case.reference, "subject": obj.case.subject, "state": obj.case.state}

    @extend_schema_field(serializers.DictField())
    def get_department(self, obj):
        return {"id": obj.department_id, "name": obj.department.name}

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_route_template(self, obj):
        return {"id": obj.route_template_id, "name": obj.route_template.name} if obj.route_template_id else None


class TaskDetailSerializer(TaskSerializer):
    """A task with its route, its reasons and the transitions the caller may make."""

    route = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = TaskSerializer.Meta.fields + ["description", "rejection_reason", "blocked_reason", "accepted_at",
                                               "finished_at", "route", "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(RouteStageSerializer(many=True))
    def get_route(self, obj):
        from workflows.selectors.tasks import task_route

        return RouteStageSerializer(task_route(obj), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_allowed_transitions(self, obj):
        from workflows.services.tasks import task_transitions_for

        user = self.context["request"].user
        return [{"name": n, "label": TASK_TRANSITION_LABELS[n]} for n in task_transitions_for(obj, user)]


class TaskCommentSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)

    class Meta:
        model = TaskComment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = fields


class RouteTemplateSerializer(serializers.ModelSerializer):
    stages = serializers.SerializerMethodField()

    class Meta:
        model = RouteTemplate
        fields = ["id", "name", "slug", "description", "is_active", "stages"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_stages(self, obj):
        return [{"position": s.position, "name": s.name, "department": {"id": s.department_id, "name": s.department.name},
                 "specialist": s.specialist_id} for s in obj.stages.all()]


# --- input -------------------------------------------------------------------------------


class TaskCreateInputSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="Case reference, e.g. CS-000123.")
    department = serializers.PrimaryKeyRelatedField(queryset=Team.objects.filter(is_active=True))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000, default="")
    route_template = serializers.PrimaryKeyRelatedField(queryset=RouteTemplate.objects.filter(is_active=True),
                                                        required=False, allow_null=True, default=None)
    blocking = serializers.BooleanField(required=False, default=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    specialist = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                    allow_null=True, default=None)


class TaskTransitionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_version = serializers.IntegerField(required=False, min_value=0)


class TaskCommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)


class RouteStageInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    department = serializers.PrimaryKeyRelatedField(queryset=Team.objects.filter(is_active=True))
    specialist = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                    allow_null=True, default=None)


class RouteTemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    stages = RouteStageInputSerializer(many=True, allow_empty=False)


class StallQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    route_template = serializers.PrimaryKeyRelatedField(queryset=RouteTemplate.objects.all(), required=False)
    department = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
