from django.contrib import admin

from feedback.models import FeedbackEvent, FeedbackItem, FeedbackRequest


class FeedbackRequestInline(admin.TabularInline):
    model = FeedbackRequest
    extra = 0
    readonly_fields = ["case", "customer", "product", "area", "theme", "created_at", "told_status", "told_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    """Decisions go through the API or the feedback page so that askers are told."""

    list_display = ["title", "product", "area", "theme", "status", "created_at", "loop_closed_at"]
    list_filter = ["status", "area", "theme", "product"]
    search_fields = ["title", "area", "theme"]
    readonly_fields = ["status", "status_changed_at", "loop_closed_at", "created_at"]
    inlines = [FeedbackRequestInline]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "customer", "item", "area", "theme", "created_at", "told_status"]
    list_filter = ["area", "theme", "told_status"]
    readonly_fields = ["case", "customer", "created_at", "told_status", "told_at"]


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "kind", "actor_label", "occurred_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
