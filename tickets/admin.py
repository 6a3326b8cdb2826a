"""Admin for cases and their reference data; the event log is read-only here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tickets.models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    Comment,
    Macro,
    Organization,
    Product,
    SavedView,
    Tag,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "organization", "is_active"]
    list_filter = ["role", "is_active", "is_org_admin", "organization__tier"]
    search_fields = ["username", "email", "first_name", "last_name"]
    autocomplete_fields = ["organization"]
    fieldsets = BaseUserAdmin.fieldsets + (("Help desk", {"fields": ("role", "organization", "is_org_admin", "time_zone")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Help desk", {"fields": ("role", "organization", "email")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "parent", "domain"]
    list_filter = ["tier"]
    search_fields = ["name", "domain"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["entitled_products"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "area", "is_active"]
    list_filter = ["is_active", "area"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "is_public", "shared", "body"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["id", "occurred_at", "kind", "actor_kind", "actor_label", "before", "after", "reason"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases are read here; their state and history change only through the services."""

    list_display = ["reference", "subject", "state", "priority", "team", "assignee", "organization", "created_at"]
    list_filter = ["state", "priority", "channel", "team", "escalation_level", "organization__tier", "category"]
    search_fields = ["subject", "requester__email", "requester__username"]
    date_hierarchy = "created_at"
    list_select_related = ["team", "assignee", "organization"]
    readonly_fields = [f.name for f in Case._meta.fields] + ["tags"]
    inlines = [CommentInline, EventInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    """The audit trail: searchable and filterable, never editable."""

    list_display = ["id", "occurred_at", "case", "kind", "actor_kind", "actor_label", "visibility"]
    list_filter = ["kind", "actor_kind", "visibility"]
    search_fields = ["case__id", "actor_label", "reason"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in CaseEvent._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "case", "content_type", "size", "uploaded_by", "created_at"]
    search_fields = ["filename"]
    readonly_fields = ["case", "comment", "file", "filename", "content_type", "size", "uploaded_by", "created_at"]


class ManagersOnlyAdmin(admin.ModelAdmin):
    """Managers (and admins) keep these; agents use them but cannot change them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_manager_role

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_manager_role

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Macro)
class MacroAdmin(ManagersOnlyAdmin):
    list_display = ["name", "public", "set_priority", "set_category", "transition", "team", "is_active"]
    list_filter = ["is_active", "public", "team"]
    search_fields = ["name", "body"]
    autocomplete_fields = ["set_category", "team"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "queue", "query", "created_at"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
