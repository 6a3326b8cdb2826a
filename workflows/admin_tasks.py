"""Admin for route templates, tasks (with their stages, comments and read-only log) and problems."""

from django.contrib import admin

from workflows.models import (
    Problem,
    ProblemLink,
    ProblemNotification,
    RouteStageTemplate,
    RouteTemplate,
    Task,
    TaskComment,
    TaskEvent,
    TaskStage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and durable records are written by services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RouteStageInline(admin.TabularInline):
    model = RouteStageTemplate
    extra = 1
    autocomplete_fields = ["department", "specialist"]


@admin.register(RouteTemplate)
class RouteTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RouteStageInline]


class TaskStageInline(admin.TabularInline):
    model = TaskStage
    extra = 0
    can_delete = False
    readonly_fields = ["position", "name", "department", "specialist", "holder", "entered_at", "exited_at"]

    def has_add_permission(self, request, obj=None):
        return False


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    can_delete = False
    readonly_fields = ["author", "body", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """State moves only through the task services; here one can read, and fix titles and due times."""

    list_display = ["reference", "title", "case", "department", "assignee", "state", "blocking", "due_at", "created_at"]
    list_filter = ["state", "department", "blocking", "route_template"]
    search_fields = ["title", "case__subject"]
    date_hierarchy = "created_at"
    readonly_fields = ["case", "department", "assignee", "state", "route_template", "problem", "rejection_reason",
                       "blocked_reason", "stages_ahead", "version", "created_by", "created_at", "updated_at",
                       "accepted_at", "finished_at"]
    fields = ["title", "description", "due_at", "blocking"] + readonly_fields
    inlines = [TaskStageInline, TaskCommentInline]

    def has_add_permission(self, request):
        return False  # tasks are routed from cases, through the service


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "kind", "actor_kind", "actor_label", "occurred_at"]
    list_filter = ["kind", "actor_kind"]
    search_fields = ["task__title", "actor_label", "reason"]


@admin.register(TaskStage)
class TaskStageAdmin(ReadOnlyAdmin):
    list_display = ["task", "position", "name", "department", "holder", "entered_at", "exited_at"]
    list_filter = ["department", "task__route_template"]


class ProblemLinkInline(admin.TabularInline):
    model = ProblemLink
    extra = 0
    readonly_fields = ["case", "linked_by", "linked_at", "workaround_sent_at", "fix_applied_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "state", "department", "owner", "created_at", "fixed_at", "fix_completed_at"]
    list_filter = ["state", "department", "product"]
    search_fields = ["title", "summary", "keywords"]
    readonly_fields = ["state", "fixed_at", "fixed_by", "fix_completed_at", "created_by", "created_at", "updated_at"]
    autocomplete_fields = ["department", "owner", "product", "category"]
    inlines = [ProblemLinkInline]


@admin.register(ProblemLink)
class ProblemLinkAdmin(ReadOnlyAdmin):
    list_display = ["problem", "case", "linked_by", "linked_at", "workaround_sent_at", "fix_applied_at"]
    list_filter = ["problem"]


@admin.register(ProblemNotification)
class ProblemNotificationAdmin(ReadOnlyAdmin):
    list_display = ["problem", "customer", "case", "notified_at"]
    list_filter = ["problem"]
