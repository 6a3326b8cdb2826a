"""Case list filters for the API and the agent queues."""

import copy

import django_filters
from django.http import QueryDict

from tickets.models import Case, Channel, Priority, State
from tickets.selectors import case_search


class CaseFilter(django_filters.FilterSet):
    # distinct=False: these are columns of the case row, so there is nothing to de-duplicate,
    # and SELECT DISTINCT made PostgreSQL read and sort every matching case before it could
    # return the first page (seconds at 1M cases; bench/cases.md).
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    team = django_filters.NumberFilter(field_name="team_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    category = django_filters.NumberFilter(field_name="category_id")
    product = django_filters.NumberFilter(field_name="product_id")
    organization = django_filters.NumberFilter(field_name="organization_id")
    requester = django_filters.NumberFilter(field_name="requester_id")
    tags = django_filters.CharFilter(method="filter_tags", help_text="Comma-separated tag names; all must match.")
    escalated = django_filters.BooleanFilter(method="filter_escalated")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_q", help_text="Words in subject or description, or a reference.")

    class Meta:
        model = Case
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's own __init__, but with a shallow copy of each filter where it
        # deep-copies them all (choices included) on every request, which was the largest
        # cost of a queue page (bench/cases.md). Filters only get `model` and `parent`
        # set on them per request, so a shallow copy keeps requests apart.
        if queryset is None:
            queryset = Case.objects.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(f) for name, f in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # re-bind the method wrapper to this copy

    def filter_tags(self, qs, name, value):
        for tag in {t.strip().lower() for t in value.split(",") if t.strip()}:
            qs = qs.filter(tags__name=tag)
        return qs

    def filter_escalated(self, qs, name, value):
        return qs.filter(escalation_level__gt=0) if value else qs.filter(escalation_level=0)

    def filter_q(self, qs, name, value):
        return case_search(qs, value)
