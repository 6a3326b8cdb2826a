"""Admin for calendars, policies, shifts and chains; clocks and handover runs are read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from sla.models import (
    BusinessInterval, Calendar, ChainLink, Clock, CustomHoliday, FollowTheSunChain, HandoverRun, Policy, Shift, Target,
)
from sla.models.calendars import check_week_intervals


class WeekFormSet(forms.BaseInlineFormSet):
    """Refuse empty or overlapping intervals across the whole week, with a readable message."""

    def clean(self):
        super().clean()
        rows = [(f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
                for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        problems = check_week_intervals(rows)
        if problems:
            raise ValidationError(problems)


class IntervalInline(admin.TabularInline):
    model = BusinessInterval
    formset = WeekFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = CustomHoliday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "time_zone", "holiday_country", "holiday_subdivision"]
    list_filter = ["kind", "time_zone", "holiday_country"]
    search_fields = ["name"]
    inlines = [IntervalInline, HolidayInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["calendar"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "is_default", "tiers", "priorities", "chain"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "is_default", "breach_escalate"]
    search_fields = ["name"]
    filter_horizontal = ["products", "categories"]
    inlines = [TargetInline]


class ChainLinkInline(admin.TabularInline):
    model = ChainLink
    extra = 0


@admin.register(FollowTheSunChain)
class ChainAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    inlines = [ChainLinkInline]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["team", "weekday", "start", "end"]
    list_filter = ["team", "weekday"]


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "state", "priority", "policy", "started_at", "due_at", "next_check_at", "fired"]
    list_filter = ["state", "kind", "priority", "policy"]
    search_fields = ["case__id", "case__subject"]
    list_select_related = ["case", "policy"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HandoverRun)
class HandoverRunAdmin(admin.ModelAdmin):
    list_display = ["team", "shift_end", "to_team", "handed_over", "ran_at"]
    list_filter = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
