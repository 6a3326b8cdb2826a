from django.contrib import admin

from workflows.models import Membership, RequestForm, RequestFormField, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tier", "time_zone", "lead", "is_active"]
    list_filter = ["kind", "is_active", "time_zone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["team", "role"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


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
