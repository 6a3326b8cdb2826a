"""Admin for teams, skills, absences, rules, escalation paths, webhooks and notifications.

Rules are checked by the same schema as the API (the models' `clean()`), so the admin
shows the same messages: unknown field, wrong type, invalid regex, missing team.
"""

from django.contrib import admin, messages

from workflows.models import (
    Absence,
    AutomationRule,
    AutomationRun,
    EscalationPath,
    EscalationTier,
    Membership,
    Notification,
    NotificationPreference,
    RequestForm,
    RequestFormField,
    RoutingRule,
    Skill,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
)
from workflows.services.rules import rule_touch


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]
    filter_horizontal = ["skills"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tier", "time_zone", "lead", "assignment_strategy", "assign_on_arrival",
                    "default_capacity", "is_active"]
    list_filter = ["kind", "is_active", "assignment_strategy", "assign_on_arrival", "time_zone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "capacity", "joined_at"]
    list_filter = ["team", "role"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]
    filter_horizontal = ["skills"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["kind", "code", "name"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_at", "ends_at", "delegate", "reason", "detoured_at"]
    list_filter = ["starts_at"]
    search_fields = ["user__username", "delegate__username", "reason"]
    autocomplete_fields = ["user", "delegate", "created_by"]
    readonly_fields = ["detoured_at"]


class RuleAdmin(admin.ModelAdmin):
    """Saving goes through `full_clean` (the schema checks), then the revision is raised."""

    readonly_fields = ["revision", "created_at", "updated_at"]
    search_fields = ["name", "description"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rule_touch(type(obj), obj.pk)


@admin.register(RoutingRule)
class RoutingRuleAdmin(RuleAdmin):
    list_display = ["name", "position", "is_active", "is_default", "updated_at"]
    list_filter = ["is_active", "is_default"]
    list_editable = ["position"]
    ordering = ["is_default", "position", "id"]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_default)

    def delete_queryset(self, request, queryset):
        if queryset.filter(is_default=True).exists():
            messages.error(request, "The default rule cannot be deleted: every case needs somewhere to land.")
            queryset = queryset.exclude(is_default=True)
        super().delete_queryset(request, queryset)


@admin.register(AutomationRule)
class AutomationRuleAdmin(RuleAdmin):
    list_display = ["name", "trigger", "position", "is_active", "updated_at"]
    list_filter = ["trigger", "is_active"]


@admin.register(AutomationRun)
class AutomationRunAdmin(admin.ModelAdmin):
    list_display = ["rule", "event", "depth", "outcome", "created_at"]
    list_filter = ["outcome", "rule"]
    readonly_fields = ["rule", "event", "depth", "outcome", "created_at"]

    def has_add_permission(self, request):
        return False


class EscalationTierInline(admin.TabularInline):
    model = EscalationTier
    extra = 1
    autocomplete_fields = ["team"]


@admin.register(EscalationPath)
class EscalationPathAdmin(admin.ModelAdmin):
    list_display = ["team", "manager"]
    autocomplete_fields = ["team", "manager"]
    inlines = [EscalationTierInline]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "payload_format", "is_active", "created_at"]
    list_filter = ["is_active", "payload_format"]
    search_fields = ["name", "url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event_type", "status", "attempts", "response_status", "created_at", "delivered_at"]
    list_filter = ["status", "endpoint", "event_type"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["user__username", "title"]
    raw_id_fields = ["user", "case"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email"]
    list_filter = ["kind", "in_app", "email"]
    autocomplete_fields = ["user"]

from workflows import admin_tasks  # noqa: E402,F401  tasks, routes and problems


class RequestFormFieldInline(admin.TabularInline):
    model = RequestFormField
    extra = 1
    fields = ["order", "label", "name", "type", "required", "choices", "regex", "regex_message", "help_text"]
    prepopulated_fields = {"name": ["label"]}


@admin.register(RequestForm)
class RequestFormAdmin(admin.ModelAdmin):
    """The self-service catalog: managers define forms and the team that fulfils each."""

    list_display = ["title", "team", "priority", "bypass_customer_service", "is_active", "order"]
    list_filter = ["is_active", "team", "bypass_customer_service"]
    list_editable = ["is_active", "order"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["team", "category"]
    inlines = [RequestFormFieldInline]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_manager_role

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_manager_role

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission
